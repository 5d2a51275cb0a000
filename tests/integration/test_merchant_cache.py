"""Each event loop's cache of merchant look-ups (src/mcache.h).

A repeated API key, known or unknown, is answered from the cache, without a
store round trip; every change the CLI (or a lock) makes to a merchant is seen
by the next request all the same, because the loop reads the store's merchant
generation in every loop turn and drops its cache when it moved."""
import json
import os
import time

from conftest import (JSON_HEADERS, LOGIN_PATH, add_merchant, code_at, run_cli, wait_for_step_margin,
                      wrong_code)


def _post_many(server, bodies):
    """POSTs every body on one keep-alive connection (so one loop serves them all); returns the statuses."""
    conn = server.connection()
    statuses = []
    try:
        for body in bodies:
            conn.request("POST", LOGIN_PATH, body=json.dumps(body), headers=JSON_HEADERS)
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
    finally:
        conn.close()
    return statuses


def _loop_stats(server):
    server.stop()
    stats = [e for e in server.events(this_run=True) if e.get("event") == "loop_stats"]
    assert len(stats) == server.threads, stats
    return {k: sum(int(e[k]) for e in stats)
            for k in ("merchant_cache_hits", "merchant_cache_misses", "token_cache_hits", "token_cache_misses")}


def test_repeated_keys_are_answered_from_the_cache(make_server, data_dir):
    """A flood that repeats one unknown key and one known key with wrong codes: two store look-ups in all."""
    m = add_merchant(data_dir)
    server = make_server(["--lockout-after", "0", "--throttle-attempts", "0", "--throttle-failures", "0"])
    bad = wrong_code(m)
    unknown = {"API_KEY": "tgk_" + "x" * 43, "TOTP": "123456"}
    known = {"API_KEY": m["api_key"], "TOTP": bad}
    statuses = _post_many(server, [unknown, known] * 100)
    assert statuses == [401] * 200
    stats = _loop_stats(server)
    assert stats["merchant_cache_misses"] == 2, stats
    assert stats["merchant_cache_hits"] == 198, stats


def test_key_imported_after_it_was_refused_logs_in_at_once(server, data_dir, tmp_path):
    """An unknown key is cached as unknown; importing a merchant with that key makes the next login succeed."""
    add_merchant(data_dir)  # the data directory exists, the server has seen a merchant
    key = "tgk_imported_" + os.urandom(12).hex()
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    m = {"api_key": key, "secret": secret, "algorithm": "SHA1", "digits": 6, "period": 30}
    wait_for_step_margin()
    code = code_at(m, time.time())
    assert _post_many(server, [{"API_KEY": key, "TOTP": code}] * 3) == [401] * 3
    csv = tmp_path / "one.csv"
    csv.write_text("name,api_key,secret\nlate desk,%s,%s\n" % (key, secret))
    run_cli(["merchant", "import", str(csv)], data_dir)
    status, body, _ = server.login(key, code)
    assert status == 200, body


def test_disable_is_seen_by_the_next_login(server, data_dir):
    m = add_merchant(data_dir)
    bad = wrong_code(m)
    assert _post_many(server, [{"API_KEY": m["api_key"], "TOTP": bad}] * 3) == [401] * 3  # cached, enabled
    run_cli(["merchant", "disable", m["merchant_id"]], data_dir)
    wait_for_step_margin()
    status, body, _ = server.login(m["api_key"], code_at(m, time.time()))
    assert status == 403, body
    run_cli(["merchant", "enable", m["merchant_id"]], data_dir)
    status, body, _ = server.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body


def test_rotated_secret_is_seen_by_the_next_login(server, data_dir):
    """The cache holds the sealed secret: after rotate-secret the old secret's code must not open a session."""
    m = add_merchant(data_dir)
    wait_for_step_margin()
    status, body, _ = server.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body
    old_next = code_at(m, time.time() + 30)  # a code of the old secret not used yet
    cp = run_cli(["merchant", "rotate-secret", m["merchant_id"], "--json"], data_dir)
    fresh = dict(m, secret=json.loads(cp.stdout)["secret"])
    status, body, _ = server.login(m["api_key"], old_next)
    assert status == 401, body
    wait_for_step_margin()
    status, body, _ = server.login(m["api_key"], code_at(fresh, time.time()))
    assert status == 200, body


def test_lock_and_unlock_are_seen_by_the_next_login(make_server, data_dir):
    m = add_merchant(data_dir)
    server = make_server(["--lockout-after", "2", "--throttle-attempts", "0", "--throttle-failures", "0"])
    bad = wrong_code(m)
    assert _post_many(server, [{"API_KEY": m["api_key"], "TOTP": bad}] * 2) == [401] * 2
    deadline = time.monotonic() + 5
    while True:  # the failures reach the writer within 5 ms; the lock is then in the store
        statuses = _post_many(server, [{"API_KEY": m["api_key"], "TOTP": bad}])
        if statuses == [429] or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert statuses == [429]
    run_cli(["merchant", "unlock", m["merchant_id"]], data_dir)
    wait_for_step_margin()
    status, body, _ = server.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body


def test_two_servers_see_each_others_logins_and_locks(make_server, data_dir):
    """Two servers on one data directory, each with the merchant in its cache: a code used on one is refused
    on the other (its cached last_step is stale, the writer decides), and a lock set by one server's failures
    is answered 429 by the other at once (the lock moves the merchant generation that both read)."""
    m = add_merchant(data_dir)
    args = ["--lockout-after", "3", "--throttle-attempts", "0", "--throttle-failures", "0"]
    first, second = make_server(args), make_server(args)
    bad = wrong_code(m)
    wait_for_step_margin()
    code = code_at(m, time.time())
    assert _post_many(second, [{"API_KEY": m["api_key"], "TOTP": bad}]) == [401]  # cached by second; 1 failure
    status, body, _ = first.login(m["api_key"], code)
    assert status == 200, body
    status, body, _ = second.login(m["api_key"], code)
    assert status == 401, body  # the same code on the other server
    # the login reset the failure count: three wrong codes on the first server lock the merchant
    assert _post_many(first, [{"API_KEY": m["api_key"], "TOTP": bad}] * 3) == [401] * 3
    deadline = time.monotonic() + 5
    while True:  # the third failure reaches the writer within 5 ms
        statuses = _post_many(first, [{"API_KEY": m["api_key"], "TOTP": bad}])
        if statuses == [429] or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert statuses == [429]
    status, body, _ = second.login(m["api_key"], code_at(m, time.time() + 30))
    assert status == 429, body
