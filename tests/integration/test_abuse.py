"""Hostile clients: per-merchant lockout, per-client throttling, trusted
proxies, uniform answers, strict input, connection and time limits, and log
injection.

Clock: the server reads real time + TOTPGATE_TEST_CLOCK_OFFSET once at start,
and the lock state lives in the database, so the tests move time by
restarting the server on the same data directory with a bigger offset.

Counting: a wrong code is answered 401 at once and counted by the writer
thread afterwards, so the tests poll `merchant show ID --json` until
failed_attempts settles (and, where the exact count matters, first send a
successful login of another merchant: the writer applies its queue in order,
so once that login is answered every failure queued before it is committed).
"""
import gc
import hashlib
import json
import random
import re
import select
import sqlite3
import threading
import time

import pytest

from conftest import (JSON_HEADERS, LOGIN_PATH, RawConnection, add_merchant, b64url, code_at, db_path,
                      header, merchant_row, merchant_show, remember, run_cli, wait_failed_attempts,
                      wait_for_step_margin, wrong_code)

OFFSET = "TOTPGATE_TEST_CLOCK_OFFSET"
NO_LIMITS = ["--throttle-attempts", "0", "--throttle-failures", "0"]


# ---------------------------------------------------------------- helpers


def body_of(api_key, code):
    return json.dumps({"API_KEY": api_key, "TOTP": code}).encode()


def post_bytes(body, extra=b"", close=False):
    """A raw login request carrying body (bytes) with a correct Content-Length."""
    return (b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n" + extra + (b"Connection: close\r\n" if close else b"")
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def unknown_key(i):
    """A well-formed API key that no merchant has (not secret: never remembered)."""
    return "tgk_" + b64url(hashlib.sha256(b"unknown-key-%d" % i).digest())


def without_date(headers):
    return [(k.lower(), v) for k, v in headers if k.lower() != "date"]


def error_code(data):
    return json.loads(data)["ErrorCode"]


def parallel(port, requests, timeout=60):
    """Opens one connection per request, then sends them all at the same
    moment (threading.Barrier); returns [(status, headers, body)] in order."""
    conns = [RawConnection(port, timeout=timeout) for _ in requests]
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def one(i):
        try:
            barrier.wait(timeout=timeout)
            conns[i].send(requests[i])
            results[i] = conns[i].response()
        except Exception as e:  # recorded, so that the assertion shows it
            results[i] = ("error", repr(e), b"")
        finally:
            conns[i].close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results


def writer_barrier(srv, sentinel, offset=0):
    """A successful login of merchant `sentinel` (once per test): answered
    only after the writer committed it, hence after every failure queued
    before it."""
    status, body, _ = srv.login(sentinel["api_key"], code_at(sentinel, time.time() + offset))
    assert status == 200, body


def restart_with_offset(srv, seconds):
    """Stops srv and starts it again on the same data with the clock moved."""
    srv.stop()
    srv.env[OFFSET] = str(seconds)
    srv.start()


def start_of_second():
    """Sleeps, if needed, so that two quick requests fall in one wall-clock second."""
    frac = time.time() % 1
    if frac > 0.3:
        time.sleep(1.02 - frac)


def ks_statistic(a, b):
    """Two-sample Kolmogorov-Smirnov statistic D = sup |F_a(x) - F_b(x)|."""
    a, b = sorted(a), sorted(b)
    n, m = len(a), len(b)
    i = j = 0
    d = 0.0
    while i < n and j < m:
        x = min(a[i], b[j])
        while i < n and a[i] <= x:
            i += 1
        while j < m and b[j] <= x:
            j += 1
        d = max(d, abs(i / n - j / m))
    return d


# ---------------------------------------------------------------- 1. concurrency


def test_parallel_wrong_codes_with_lockout_off(make_server, data_dir):
    """200 wrong codes sent at the same moment on 200 pre-opened connections,
    with --lockout-after 0 and both throttles off: every one is answered 401,
    the merchant is never locked, and (as docs/API.md says: lockout off means
    a refusal costs no store write) nothing is counted.  Exact counting under
    the same race is the next test's job."""
    m = add_merchant(data_dir)
    sentinel = add_merchant(data_dir, name="sentinel")
    srv = make_server(args=["--lockout-after", "0"] + NO_LIMITS)
    req = post_bytes(body_of(m["api_key"], wrong_code(m)), close=True)
    results = parallel(srv.port, [req] * 200)
    assert [r[0] for r in results] == [401] * 200, [r[:2] for r in results if r is None or r[0] != 401][:3]
    writer_barrier(srv, sentinel)
    shown = merchant_show(data_dir, m["merchant_id"])
    assert shown["failed_attempts"] == 0, shown
    assert shown["locked_until"] == 0 and not shown["locked_forever"], shown


def test_parallel_wrong_codes_counted_exactly_below_threshold(make_server, data_dir):
    """The same race with a threshold the race cannot reach (--lockout-after
    1000): failed_attempts is exactly 200 and the merchant is not locked."""
    m = add_merchant(data_dir)
    sentinel = add_merchant(data_dir, name="sentinel")
    srv = make_server(args=["--lockout-after", "1000"] + NO_LIMITS)
    req = post_bytes(body_of(m["api_key"], wrong_code(m)), close=True)
    results = parallel(srv.port, [req] * 200)
    assert [r[0] for r in results] == [401] * 200, [r[:2] for r in results if r is None or r[0] != 401][:3]
    writer_barrier(srv, sentinel)
    shown = wait_failed_attempts(data_dir, m["merchant_id"], 200)
    assert shown["failed_attempts"] == 200, shown
    assert shown["locked_until"] == 0 and not shown["locked_forever"], shown


def test_parallel_wrong_codes_with_default_lockout_count_five(make_server, data_dir):
    """With the default lockout (5), 200 simultaneous wrong codes leave
    failed_attempts at exactly 5 with a 30 s lock: the failures that the
    writer applies after the lock landed are not counted.  Every answer is
    401 INVALID_CREDENTIALS or 429 LOCKED, nothing else."""
    m = add_merchant(data_dir)
    sentinel = add_merchant(data_dir, name="sentinel")
    srv = make_server(args=NO_LIMITS)
    req = post_bytes(body_of(m["api_key"], wrong_code(m)), close=True)
    results = parallel(srv.port, [req] * 200)
    bad = [r for r in results if r is None or (r[0], error_code(r[2])) not in
           ((401, "INVALID_CREDENTIALS"), (429, "LOCKED"))]
    assert not bad, bad[:3]
    assert sum(1 for r in results if r[0] == 401) >= 5
    writer_barrier(srv, sentinel)
    shown = wait_failed_attempts(data_dir, m["merchant_id"], 5, settle=0.5)
    assert shown["failed_attempts"] == 5, shown
    assert not shown["locked_forever"]
    assert 25 <= shown["locked_until"] - time.time() <= 31, shown


def test_parallel_copies_of_one_valid_code_one_winner(make_server, data_dir):
    """50 simultaneous copies of one valid code: exactly one 200 with a
    token, 49 x 401 INVALID_CREDENTIALS, and the failure count stays 0."""
    m = add_merchant(data_dir)
    srv = make_server()
    wait_for_step_margin(1)
    req = post_bytes(body_of(m["api_key"], code_at(m, time.time())), close=True)
    results = parallel(srv.port, [req] * 50)
    ok = [r for r in results if r is not None and r[0] == 200]
    refused = [r for r in results if r is not None and r[0] == 401 and error_code(r[2]) == "INVALID_CREDENTIALS"]
    assert (len(ok), len(refused)) == (1, 49), [r[:2] for r in results if r not in ok + refused][:3]
    remember("token", json.loads(ok[0][2])["AccessToken"])
    assert merchant_show(data_dir, m["merchant_id"])["failed_attempts"] == 0


# ---------------------------------------------------------------- 2. lockout


def test_lockout_after_five_failures_uniform_and_durable(make_server, data_dir):
    """5 wrong codes lock the merchant: the 6th attempt gets 429 LOCKED with
    Retry-After about 30.  While locked, a correct code gets the same status,
    headers (but Date) and body bytes as a wrong one, is not consumed and is
    not counted.  The lock survives a restart; 31 s later (clock offset) a
    correct code works and resets the count."""
    m = add_merchant(data_dir)
    mid = m["merchant_id"]
    srv = make_server()
    bad = wrong_code(m)
    for _ in range(5):
        status, body, _ = srv.login(m["api_key"], bad)
        assert (status, body["ErrorCode"]) == (401, "INVALID_CREDENTIALS")
    shown = wait_failed_attempts(data_dir, mid, 5)
    assert shown["failed_attempts"] == 5 and not shown["locked_forever"], shown
    assert 27 <= shown["locked_until"] - time.time() <= 31, shown

    status, hdrs, data = srv.post(body_of(m["api_key"], bad))
    assert status == 429 and error_code(data) == "LOCKED", data
    assert 27 <= int(header(hdrs, "Retry-After")) <= 30, hdrs

    # right and wrong code while locked: byte-identical answers
    for _ in range(3):
        start_of_second()
        right = srv.post(body_of(m["api_key"], code_at(m, time.time())))
        wrong = srv.post(body_of(m["api_key"], bad))
        if header(right[1], "Date") == header(wrong[1], "Date"):
            break
    assert right[0] == wrong[0] == 429
    assert without_date(right[1]) == without_date(wrong[1])
    assert right[2] == wrong[2]
    assert wait_failed_attempts(data_dir, mid, 5)["failed_attempts"] == 5
    assert merchant_row(data_dir, mid)["last_step"] == -1  # the right code was not even looked at

    # the lock is in the database: a restart keeps it
    srv.stop()
    srv.start()
    status, body, hdrs = srv.login(m["api_key"], code_at(m, time.time()))
    assert (status, body["ErrorCode"]) == (429, "LOCKED")
    assert 1 <= int(header(hdrs, "Retry-After")) <= 30

    # 31 s later it has expired: a correct code works and resets the count
    restart_with_offset(srv, 31)
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time() + 31))
    assert status == 200 and "AccessToken" in body, body
    shown = merchant_show(data_dir, mid)
    assert (shown["failed_attempts"], shown["locked_until"], shown["locked_forever"]) == (0, 0, False), shown


def test_lockout_backoff_doubles_and_unlock_is_immediate(make_server, data_dir):
    """After the 5th failure the lock is 30 s, after the 6th 60 s, after the
    7th 120 s (locked_until minus the server's shifted now).  `merchant
    unlock` on a locked merchant takes effect for the running server at once."""
    m = add_merchant(data_dir)
    mid = m["merchant_id"]
    srv = make_server()
    bad = wrong_code(m)
    for _ in range(5):
        assert srv.login(m["api_key"], bad)[0] == 401
    shown = wait_failed_attempts(data_dir, mid, 5)
    assert shown["failed_attempts"] == 5
    assert 27 <= shown["locked_until"] - time.time() <= 31, shown

    offset = 0
    for failures, lock in ((6, 60), (7, 120)):
        offset = shown["locked_until"] - int(time.time()) + 1  # just past the current lock
        restart_with_offset(srv, offset)
        status, body, _ = srv.login(m["api_key"], bad)
        assert (status, body["ErrorCode"]) == (401, "INVALID_CREDENTIALS"), (failures, body)
        shown = wait_failed_attempts(data_dir, mid, failures)
        assert shown["failed_attempts"] == failures, shown
        assert lock - 3 <= shown["locked_until"] - (time.time() + offset) <= lock + 1, (failures, shown)
        assert srv.login(m["api_key"], bad)[0] == 429

    # unlocked from the command line while the server runs
    assert srv.login(m["api_key"], code_at(m, time.time() + offset))[0] == 429
    run_cli(["merchant", "unlock", mid], data_dir)
    shown = merchant_show(data_dir, mid)
    assert (shown["failed_attempts"], shown["locked_until"], shown["locked_forever"]) == (0, 0, False), shown
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time() + offset))
    assert status == 200, body


def test_lockout_forever_after_100_failures_until_unlock(make_server, data_dir):
    """The 100th consecutive failure locks until `merchant unlock`: even a
    day later (clock offset +86400) a correct code gets 429 LOCKED.

    Shortcut: instead of 99 failures (each behind a growing lock), the test
    sets failed_attempts = 99, locked_until = 0 on the merchant's row with
    sqlite3 while the server runs (the server reads the row per request), then
    sends the one wrong code that makes it 100."""
    m = add_merchant(data_dir)
    mid = m["merchant_id"]
    srv = make_server()
    con = sqlite3.connect(db_path(data_dir), timeout=10)
    try:
        con.execute("UPDATE merchants SET failed_attempts = 99, locked_until = 0, locked_forever = 0 WHERE id = ?",
                    (mid,))
        con.commit()
    finally:
        con.close()
    assert merchant_show(data_dir, mid)["failed_attempts"] == 99

    status, body, _ = srv.login(m["api_key"], wrong_code(m))
    assert (status, body["ErrorCode"]) == (401, "INVALID_CREDENTIALS")
    shown = wait_failed_attempts(data_dir, mid, 100)
    assert shown["failed_attempts"] == 100 and shown["locked_forever"] is True, shown

    status, body, hdrs = srv.login(m["api_key"], code_at(m, time.time()))
    assert (status, body["ErrorCode"]) == (429, "LOCKED")
    assert header(hdrs, "Retry-After") == "3600"

    restart_with_offset(srv, 86400)
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time() + 86400))
    assert (status, body["ErrorCode"]) == (429, "LOCKED"), body

    run_cli(["merchant", "unlock", mid], data_dir)
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time() + 86400))
    assert status == 200, body
    shown = merchant_show(data_dir, mid)
    assert (shown["failed_attempts"], shown["locked_forever"]) == (0, False), shown


# ---------------------------------------------------------------- 3. throttling


def test_throttle_cycling_unknown_keys_default_limits(make_server, data_dir):
    """Default limits (failures 120/m, burst 120): one address cycling through
    1000 distinct unknown API keys is refused with 429 TOO_MANY_REQUESTS and
    Retry-After after about 120 attempts, and afterwards only about 2 per
    second get through.  It is a rate, not a ban: after Retry-After a
    correct login from that address works."""
    m = add_merchant(data_dir)
    srv = make_server()
    conn = srv.connection()
    statuses, first, t0 = [], None, time.monotonic()
    for i in range(1000):
        conn.request("POST", LOGIN_PATH, body_of(unknown_key(i), "123456"), JSON_HEADERS)
        r = conn.getresponse()
        data = r.read()
        statuses.append(r.status)
        if r.status == 429 and first is None:
            first = (i, r.getheaders(), data)
    elapsed = time.monotonic() - t0
    conn.close()
    assert set(statuses) <= {401, 429}, set(statuses)
    assert first is not None, "never throttled"
    index, hdrs, data = first
    assert 120 <= index <= 120 + 2 * elapsed + 2, (index, elapsed)
    assert error_code(data) == "TOO_MANY_REQUESTS"
    assert header(hdrs, "Retry-After") == "1", hdrs  # 2 tokens a second
    assert statuses.count(401) <= 120 + 2 * elapsed + 2, (statuses.count(401), elapsed)
    assert statuses.count(429) >= 1000 - 120 - 2 * elapsed - 2

    time.sleep(1.1)
    wait_for_step_margin(1)
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body


def test_throttle_honours_xff_of_trusted_proxy(make_server, data_dir):
    """With --trusted-proxy 127.0.0.1/32 and --throttle-failures 5/m, the
    client is the rightmost X-Forwarded-For entry that is not a trusted proxy:
    5 failures from 203.0.113.1 exhaust that client (even a correct code is
    then refused, and prepending entries does not help), while 203.0.113.2
    and the proxy itself are still admitted.  IPv6 clients share a /64."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--trusted-proxy", "127.0.0.1/32", "--throttle-failures", "5/m"])

    def attempt(xff, key=None, code="123456"):
        headers = dict(JSON_HEADERS)
        if xff is not None:
            headers["X-Forwarded-For"] = xff
        status, hdrs, data = srv.post(body_of(key or unknown_key(0), code), headers)
        return status, error_code(data) if status != 200 else "OK", header(hdrs, "Retry-After")

    for _ in range(5):
        assert attempt("203.0.113.1")[:2] == (401, "INVALID_CREDENTIALS")
    status, code, retry = attempt("203.0.113.1")
    assert (status, code) == (429, "TOO_MANY_REQUESTS")
    assert 11 <= int(retry) <= 12  # one token every 12 s
    wait_for_step_margin(1)
    assert attempt("203.0.113.1", m["api_key"], code_at(m, time.time()))[:2] == (429, "TOO_MANY_REQUESTS")
    assert attempt("198.51.100.9, 203.0.113.1")[:2] == (429, "TOO_MANY_REQUESTS")  # left entries prove nothing
    assert attempt("203.0.113.1, 127.0.0.1")[:2] == (429, "TOO_MANY_REQUESTS")  # through another trusted hop
    assert attempt("203.0.113.2")[:2] == (401, "INVALID_CREDENTIALS")
    assert attempt(None)[:2] == (401, "INVALID_CREDENTIALS")  # the proxy's own address
    assert attempt("203.0.113.3", m["api_key"], code_at(m, time.time()))[:2] == (200, "OK")

    for _ in range(5):
        assert attempt("2001:db8::1")[0] == 401
    assert attempt("2001:db8::ffff")[:2] == (429, "TOO_MANY_REQUESTS")
    assert attempt("2001:db8:0:1::1")[:2] == (401, "INVALID_CREDENTIALS")


def test_throttle_ignores_xff_of_untrusted_peer(make_server, data_dir):
    """Without --trusted-proxy, X-Forwarded-For is ignored: changing it on
    every request does not escape --throttle-failures 5/m."""
    srv = make_server(args=["--throttle-failures", "5/m"])
    for i in range(5):
        headers = dict(JSON_HEADERS, **{"X-Forwarded-For": "203.0.113.%d" % (i + 1)})
        assert srv.post(body_of(unknown_key(i), "123456"), headers)[0] == 401
    for xff in ("203.0.113.99", "2001:db8::99", None):
        headers = dict(JSON_HEADERS)
        if xff:
            headers["X-Forwarded-For"] = xff
        status, hdrs, data = srv.post(body_of(unknown_key(99), "123456"), headers)
        assert (status, error_code(data)) == (429, "TOO_MANY_REQUESTS"), xff
        assert int(header(hdrs, "Retry-After")) >= 1


def test_throttle_zero_turns_limits_off(make_server, data_dir, tmp_path):
    """"0" turns a bucket off: with both off, 1000 unknown keys from one
    address all get 401.  With only --throttle-attempts 5/m (failures off)
    the 6th attempt of any kind is refused 429 TOO_MANY_REQUESTS."""
    srv = make_server(args=NO_LIMITS)
    conn = srv.connection()
    statuses = []
    for i in range(1000):
        conn.request("POST", LOGIN_PATH, body_of(unknown_key(i), "123456"), JSON_HEADERS)
        r = conn.getresponse()
        r.read()
        statuses.append(r.status)
    conn.close()
    assert statuses == [401] * 1000, {s: statuses.count(s) for s in set(statuses)}

    srv2 = make_server(args=["--throttle-attempts", "5/m", "--throttle-failures", "0"], data=tmp_path / "d2")
    got = [srv2.post(body_of(unknown_key(i), "123456"))[0] for i in range(5)]
    assert got == [401] * 5
    status, hdrs, data = srv2.post(b"{}")
    assert (status, error_code(data)) == (429, "TOO_MANY_REQUESTS")
    assert 11 <= int(header(hdrs, "Retry-After")) <= 12


# ---------------------------------------------------------------- 4. uniform answers


def test_uniform_answers_unknown_key_wrong_code_reused_code(make_server, data_dir):
    """An unknown API key, a wrong code and a reused code get the same
    status, the same headers (but Date) and the same body bytes."""
    m = add_merchant(data_dir)
    srv = make_server()
    wait_for_step_margin(1)
    code = code_at(m, time.time())
    status, _, data = srv.post(body_of(m["api_key"], code))
    assert status == 200
    remember("token", json.loads(data)["AccessToken"])
    for _ in range(3):
        start_of_second()
        answers = {
            "reused": srv.post(body_of(m["api_key"], code)),
            "wrong": srv.post(body_of(m["api_key"], wrong_code(m))),
            "unknown": srv.post(body_of(unknown_key(1), code)),
        }
        if len({header(a[1], "Date") for a in answers.values()}) == 1:
            break
    ref = answers["wrong"]
    assert ref[0] == 401 and error_code(ref[2]) == "INVALID_CREDENTIALS"
    for name, a in answers.items():
        assert a[0] == ref[0], name
        assert without_date(a[1]) == without_date(ref[1]), name
        assert a[2] == ref[2], name


def test_ks_statistic_self_check():
    """The hand-written KS statistic: 0 for equal samples, 1 for disjoint
    ones, and the textbook value for a small interleaved case."""
    assert ks_statistic([1, 2, 3], [3, 2, 1]) == 0
    assert ks_statistic([1, 2, 3], [4, 5, 6]) == 1
    assert abs(ks_statistic([1, 3, 5, 7], [2, 4, 6, 8]) - 0.25) < 1e-12
    assert abs(ks_statistic([1, 2, 3, 4], [3, 4, 5, 6]) - 0.5) < 1e-12


TIMING_N = 2000
TIMING_WARMUP = 200


def test_timing_unknown_key_vs_wrong_code(make_server, data_dir):
    """Timing: ~2000 "unknown key" and ~2000 "known key, wrong code" requests,
    randomly interleaved on one keep-alive connection (after a warm-up),
    each timed with perf_counter.  After trimming the slowest 1% of each
    sample (scheduler noise on a loaded machine), the two-sample
    Kolmogorov-Smirnov statistic D must be below the alpha = 0.001 critical
    value 1.95 * sqrt((n + m) / (n * m)).  No throttles, and a lockout
    threshold the run cannot reach (--lockout-after 1000000): every wrong code
    IS counted in the store, as in production, yet never locks, so that
    nothing but the key differs."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--lockout-after", "1000000"] + NO_LIMITS)
    bad = wrong_code(m)
    bodies = {"unknown": body_of(unknown_key(7), bad), "wrong": body_of(m["api_key"], bad)}
    kinds = ["unknown", "wrong"] * TIMING_N
    random.Random(20240601).shuffle(kinds)
    warmup = ["unknown", "wrong"] * TIMING_WARMUP
    times = {"unknown": [], "wrong": []}
    conn = srv.connection()
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for i, kind in enumerate(warmup + kinds):
            t0 = time.perf_counter()
            conn.request("POST", LOGIN_PATH, bodies[kind], JSON_HEADERS)
            r = conn.getresponse()
            r.read()
            dt = time.perf_counter() - t0
            assert r.status == 401
            if i >= len(warmup):
                times[kind].append(dt)
    finally:
        if gc_was:
            gc.enable()
        conn.close()

    def trimmed(xs):
        xs = sorted(xs)
        return xs[:len(xs) - len(xs) // 100]

    a, b = trimmed(times["unknown"]), trimmed(times["wrong"])
    n, k = len(a), len(b)
    d = ks_statistic(a, b)
    crit = 1.95 * ((n + k) / (n * k)) ** 0.5
    # control: the two halves of the "unknown key" sample (same requests) should not differ
    d_control = ks_statistic(times["unknown"][0::2], times["unknown"][1::2])
    med = lambda xs: xs[len(xs) // 2] * 1e6  # noqa: E731
    summary = (f"D = {d:.4f} (critical {crit:.4f}); median unknown key {med(a):.1f} us, wrong code {med(b):.1f} us;"
               f" control D (unknown vs unknown) = {d_control:.4f}")
    print("\nKS " + summary)
    assert d < crit, "response times differ: " + summary


# ---------------------------------------------------------------- 5. strict input


def _send_big(conn, head, chunks):
    """Sends head, then chunks from a thread (the server may answer and close
    early, which makes sending fail); returns the response or None."""
    def feed():
        try:
            for c in chunks:
                conn.send(c)
        except OSError:
            pass
    conn.send(head)
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    try:
        return conn.response()
    finally:
        t.join(timeout=20)


def test_strict_input_is_refused_4xx_and_not_logged(make_server, data_dir):
    """Malformed logins carrying the real API key and code: spaces around and
    inside either value, full-width digits, "+", TOTP as a JSON number, NUL
    inside either value, overlong UTF-8, a lone surrogate, duplicate members,
    deeply nested arrays, a 10 MB body and a 1 MB header.  Each gets a 4xx
    answer (never a 5xx, never a hang); the server keeps serving (a correct
    login works afterwards) and its log contains neither the key, the secret
    nor any code that was sent."""
    m = add_merchant(data_dir)
    srv = make_server()
    wait_for_step_margin(1)
    key, code = m["api_key"], code_at(m, time.time())
    k, c = key.encode(), code.encode()

    def raw(api_key, totp):
        return b'{"API_KEY": ' + api_key + b', "TOTP": ' + totp + b'}'

    def js(s):
        return json.dumps(s).encode()

    fullwidth = "".join(chr(0xFF10 + int(d)) for d in code)
    number = c.lstrip(b"0") or b"0"  # JSON numbers have no leading zeros
    cases = [
        ("TOTP leading space", body_of(key, " " + code), 400, "INVALID_TOTP_FORMAT"),
        ("TOTP trailing space", body_of(key, code + " "), 400, "INVALID_TOTP_FORMAT"),
        ("TOTP inner space", body_of(key, code[:3] + " " + code[3:]), 400, "INVALID_TOTP_FORMAT"),
        ("TOTP space-padded to 8", body_of(key, " " + code + " "), 400, "INVALID_TOTP_FORMAT"),
        ("API_KEY leading space", body_of(" " + key, code), 400, "INVALID_REQUEST"),
        ("API_KEY trailing space", body_of(key + " ", code), 400, "INVALID_REQUEST"),
        ("API_KEY inner space", body_of(key[:8] + " " + key[8:], code), 400, "INVALID_REQUEST"),
        ("full-width digits (UTF-8)", raw(js(key), json.dumps(fullwidth, ensure_ascii=False).encode()), 400,
         "INVALID_TOTP_FORMAT"),
        ("full-width digits (escaped)", raw(js(key), js(fullwidth)), 400, "INVALID_TOTP_FORMAT"),
        ("plus sign", body_of(key, "+" + code), 400, "INVALID_TOTP_FORMAT"),
        ("plus sign, 6 long", body_of(key, "+" + code[:5]), 400, "INVALID_TOTP_FORMAT"),
        ("TOTP as a JSON number", raw(js(key), number), 400, "INVALID_REQUEST"),
        ("TOTP as a JSON float", raw(js(key), number + b".0"), 400, "INVALID_REQUEST"),
        ("TOTP as a JSON exponent", raw(js(key), number + b"e0"), 400, "INVALID_REQUEST"),
        ("NUL inside API_KEY", raw(js(key[:6] + "\u0000" + key[6:]), js(code)), 400, "INVALID_REQUEST"),
        ("NUL at the end of API_KEY", raw(js(key + "\u0000"), js(code)), 400, "INVALID_REQUEST"),
        ("NUL inside TOTP", raw(js(key), js(code[:3] + "\u0000" + code[3:])), 400, "INVALID_TOTP_FORMAT"),
        ("NUL making TOTP 6 long", raw(js(key), js(code[:5] + "\u0000")), 400, "INVALID_TOTP_FORMAT"),
        ("overlong UTF-8 digit", raw(js(key), b'"' + c[:5] + b'\xc0\xb1"'), 400, "INVALID_JSON"),
        ("overlong UTF-8 in key", raw(b'"' + k + b'\xe0\x80\xaf"', js(code)), 400, "INVALID_JSON"),
        ("lone surrogate escape", raw(js(key), b'"' + c + b'\\ud800"'), 400, "INVALID_JSON"),
        ("lone surrogate escape, 6 long", raw(js(key), b'"' + c[:5] + b'\\ud800"'), 400, "INVALID_JSON"),
        ("surrogate as UTF-8 bytes", raw(js(key), b'"' + c[:5] + b'\xed\xa0\x80"'), 400, "INVALID_JSON"),
        ("duplicate TOTP", b'{"API_KEY": ' + js(key) + b', "TOTP": ' + js(code) + b', "TOTP": ' + js(code) + b'}',
         400, "INVALID_REQUEST"),
        ("duplicate API_KEY", b'{"API_KEY": ' + js(key) + b', "API_KEY": ' + js(key) + b', "TOTP": ' + js(code)
         + b'}', 400, "INVALID_REQUEST"),
        ("100000-deep arrays", raw(js(key), b"[" * 100000 + b"]" * 100000), 413, None),
        ("2040-deep arrays (under the size limit)", b"[" * 2040 + b"]" * 2040, 400, "INVALID_REQUEST"),
        ("600-deep objects as TOTP", raw(js(key), b'{"a":' * 600 + b'1' + b'}' * 600), 400, None),
    ]
    for name, body, want_status, want_code in cases:
        req = post_bytes(body)
        conn = RawConnection(srv.port)
        try:
            got = _send_big(conn, b"", [req[i:i + 65536] for i in range(0, len(req), 65536)])
        finally:
            conn.close()
        assert got is not None, f"{name}: connection closed without an answer"
        status, _, data = got
        assert 400 <= status <= 499, (name, status, data[:200])
        assert status == want_status, (name, status, data[:200])
        if want_code is not None:
            assert error_code(data) == want_code, (name, data[:200])

    # a 10 MB body: refused (413) as soon as its Content-Length is read
    conn = RawConnection(srv.port)
    head = (b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(10 << 20).encode() + b"\r\n\r\n")
    got = _send_big(conn, head, [raw(js(key), js(code)) + b" " * (64 << 10)] + [b" " * (64 << 10)] * 159)
    conn.close()
    assert got is None or 400 <= got[0] <= 499, got
    # ...and 10 MB chunked, with no Content-Length to refuse early
    conn = RawConnection(srv.port)
    head = (b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % (64 << 10) + b" " * (64 << 10) + b"\r\n"
    got = _send_big(conn, head, [chunk] * 160 + [b"0\r\n\r\n"])
    conn.close()
    assert got is None or 400 <= got[0] <= 499, got
    # a 1 MB header
    conn = RawConnection(srv.port)
    head = b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: " + k
    got = _send_big(conn, head, [b"a" * (64 << 10)] * 16 + [b"\r\nContent-Length: 2\r\n\r\n{}"])
    conn.close()
    assert got is None or 400 <= got[0] <= 499, got

    # still serving
    assert srv.running()
    status, body, _ = srv.login(key, code)
    assert status == 200, body
    srv.stop()
    needles = [key, m["secret"], m["secret"].lower()]
    for line in srv.log_lines():
        json.loads(line)
        for n in needles:
            assert n not in line, f"log line contains a secret: {line}"
        assert not re.search(r"(?<![0-9])%s(?![0-9])" % code, line), f"log line contains the code: {line}"


@pytest.mark.xfail(strict=True, reason="known defect of Debian's libh2o 2.2.5: it frames such a request by "
                   "Transfer-Encoding, keeps the connection open, and hides both headers from the handler, so "
                   "totpgate cannot refuse it; see docs/SECURITY.md 'Known limits'. strict: this test starts "
                   "failing the suite the day the defect is gone, so the marker gets removed")
def test_content_length_with_chunked_is_not_smuggled(make_server, data_dir):
    """A request with both Content-Length and Transfer-Encoding: chunked
    (RFC 9112 section 6.1: the server may refuse it or read it by the
    chunked framing, and MUST close the connection after answering it): the
    answer is a 4xx, and the bytes a Content-Length reader would count as
    body are never answered as a second ("smuggled") request."""
    srv = make_server()
    smuggled = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    body = b"0\r\n\r\n" + smuggled
    req = (b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    conn = RawConnection(srv.port, timeout=5)
    try:
        conn.send(req)
        first = conn.response()
        assert first is not None, "no answer"
        assert 400 <= first[0] <= 499, first
        second = conn.response() if not conn.at_eof(timeout=3) else None
    finally:
        conn.close()
    assert second is None, f"the smuggled request was answered: {second[0]} {second[2][:60]!r}"
    assert srv.running()
    assert srv.request("GET", "/.well-known/jwks.json")[0] == 200


# ---------------------------------------------------------------- 6. limits


def trickle(port, head, payload, interval=0.5, limit=8.0):
    """Sends head, then payload one byte every `interval` s, until the server
    answers or closes.  Returns (seconds from connect to the server's move,
    what it sent: b"" for a plain close)."""
    conn = RawConnection(port)
    t0 = time.monotonic()
    try:
        if head:
            conn.send(head)
        for i in range(len(payload)):
            try:
                conn.sock.send(payload[i:i + 1])
            except OSError:
                return time.monotonic() - t0, b""
            ready, _, _ = select.select([conn.sock], [], [], interval)
            if ready:
                try:
                    data = conn.sock.recv(4096)
                except OSError:
                    data = b""
                return time.monotonic() - t0, data
            if time.monotonic() - t0 > limit:
                break
        return None, None
    finally:
        conn.close()


def _slow_client_is_cut_off(srv, m, head, payload):
    """Runs trickle() in a thread and, meanwhile, times normal requests."""
    result = {}
    t = threading.Thread(target=lambda: result.update(r=trickle(srv.port, head, payload)))
    t.start()
    latencies = []
    time.sleep(0.2)
    while t.is_alive() and len(latencies) < 40:
        t0 = time.monotonic()
        status = srv.post(body_of(unknown_key(len(latencies)), "123456"))[0]
        latencies.append(time.monotonic() - t0)
        assert status == 401
        time.sleep(0.1)
    t.join(timeout=15)
    elapsed, data = result["r"]
    assert elapsed is not None, "the slow client was never cut off"
    assert 1.9 <= elapsed <= 4.0, elapsed
    assert data == b"" or re.match(rb"HTTP/1\.1 4\d\d ", data), data[:80]
    assert len(latencies) >= 5 and max(latencies) < 0.5, latencies
    return elapsed


def test_request_timeout_slow_headers(make_server, data_dir):
    """--request-timeout 2s: a client sending its headers one byte every
    0.5 s is cut off within 2-4 s of connecting, while other clients are
    answered in under 0.5 s throughout."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--request-timeout", "2s"])
    payload = (b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 64)
    _slow_client_is_cut_off(srv, m, b"", payload)


def test_request_timeout_slow_body(make_server, data_dir):
    """--request-timeout 2s: a client that sends its headers at once but its
    body one byte every 0.5 s is cut off within 2-4 s, while other clients
    are answered in under 0.5 s."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--request-timeout", "2s"])
    body = body_of(unknown_key(1), "123456")
    head = post_bytes(body)[:-len(body)]
    _slow_client_is_cut_off(srv, m, head, body)


def test_request_timeout_idle_keep_alive(make_server, data_dir):
    """--request-timeout 2s: a keep-alive connection left idle after an
    answer is closed by the server about 2 s later."""
    srv = make_server(args=["--request-timeout", "2s"])
    conn = RawConnection(srv.port)
    try:
        conn.send(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.response()[0] == 200
        t0 = time.monotonic()
        assert conn.at_eof(timeout=6), "idle connection still open after 6 s"
        elapsed = time.monotonic() - t0
    finally:
        conn.close()
    assert 1.5 <= elapsed <= 4.0, elapsed


def test_max_connections(make_server, data_dir):
    """--max-connections 5: with 5 connections open, a 6th gets a complete
    HTTP 503 with ErrorCode SERVER_BUSY (also when it sent its request at
    once) and is closed; once the 5 are closed, new connections are served."""
    srv = make_server(args=["--max-connections", "5"])
    jwks = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    held = []
    try:
        for _ in range(5):
            c = RawConnection(srv.port)
            c.send(jwks)
            assert c.response()[0] == 200  # accepted and counted
            held.append(c)
        for send_first in (False, True):
            extra = RawConnection(srv.port)
            try:
                if send_first:
                    extra.send(jwks)
                got = extra.response()
                assert got is not None, "6th connection closed without an answer"
                status, hdrs, data = got
                assert status == 503, got
                assert json.loads(data) == {"ErrorCode": "SERVER_BUSY", "Message": "too many connections; retry later"}
                assert header(hdrs, "Connection") == "close"
                assert extra.at_eof(timeout=3), "6th connection left open"
            finally:
                extra.close()
    finally:
        for c in held:
            c.close()

    deadline = time.monotonic() + 5
    while True:
        conns = [RawConnection(srv.port) for _ in range(5)]
        try:
            for c in conns:
                c.send(jwks)
            statuses = [(c.response() or (None,))[0] for c in conns]
        finally:
            for c in conns:
                c.close()
        if statuses == [200] * 5 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert statuses == [200] * 5, statuses


# ---------------------------------------------------------------- 7. logs


def test_log_injection_keeps_one_json_object_per_line(make_server, data_dir):
    """Requests whose API_KEY holds CR LF and a fake JSON log line, or an ANSI
    escape, and whose User-Agent and X-Forwarded-For (from a trusted proxy)
    hold an escape byte: every stderr line is still exactly one JSON object,
    none carries a raw ESC byte, and no injected "error" line appears."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--trusted-proxy", "127.0.0.1/32"])
    code = wrong_code(m)
    keys = ["tgk_x\r\n{\"level\":\"error\",\"event\":\"forged\"}", "tgk_\u001b[31mred\u001b[0m",
            "\r\n{\"level\":\"error\"}", "tgk_\u001b]0;title\u0007", m["api_key"] + "\u001b[31m",
            "tgk_\u2028\u2029\u0085"]
    for k in keys:
        status, _, data = srv.post(body_of(k, code))
        assert 400 <= status <= 499, (k, status, data)
    for ua, xff in ((b"evil\x1b[31m", b"203.0.113.1\x1b[31m"), (b"x\x1b]0;t\x07", b"\x1b[2J, 203.0.113.2"),
                    (b"ok", b"203.0.113.3, \x1b[0m")):
        conn = RawConnection(srv.port)
        try:
            conn.send(post_bytes(body_of(m["api_key"], code), b"User-Agent: " + ua + b"\r\nX-Forwarded-For: " + xff
                                 + b"\r\n"))
            got = conn.response()
        finally:
            conn.close()
        assert got is not None and got[0] in (401, 400), got
    # bytes the HTTP parser lets through into User-Agent (stored, not logged) and X-Forwarded-For
    conn = RawConnection(srv.port)
    try:
        conn.send(post_bytes(body_of(m["api_key"], code), b"User-Agent: \x7f\xff\xfe\xc2\x9b31m\r\n"
                             b"X-Forwarded-For: 203.0.113.4\xc2\x9b, 203.0.113.5\x7f\r\n"))
        got = conn.response()
    finally:
        conn.close()
    assert got is not None and got[0] in (401, 400), got
    wait_for_step_margin(1)
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body
    srv.stop()
    lines = srv.log_lines()
    assert len(lines) >= 4
    for line in lines:
        assert "\x1b" not in line, repr(line)
        ev = json.loads(line)
        assert isinstance(ev, dict) and {"ts", "level", "event"} <= set(ev), line
        assert ev["event"] != "forged" and ev["level"] != "error", line
    # the login events name clients that are addresses
    for ev in srv.login_events():
        assert re.fullmatch(r"[0-9a-fA-F.:]+", ev["client"]), ev

