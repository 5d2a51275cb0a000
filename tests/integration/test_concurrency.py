"""Single use under concurrency: of many simultaneous logins with one valid
code exactly one gets a token."""
import http.client
import json
import socket
import threading
import time

from conftest import LOGIN_PATH, add_merchant, code_at, merchant_row, session_rows, step_of

ROUNDS = 20
CLIENTS = 50


def race(port, api_key, code, clients=CLIENTS):
    """Opens `clients` connections, then sends the same login on all of them at
    once (threading.Barrier); returns the list of (status, body dict)."""
    body = json.dumps({"API_KEY": api_key, "TOTP": code}).encode()
    request = (b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Type: application/json\r\nConnection: close\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(clients)]
    barrier = threading.Barrier(clients)
    results = [None] * clients

    def one(i):
        s = socks[i]
        try:
            barrier.wait(timeout=30)
            s.sendall(request)
            resp = http.client.HTTPResponse(s)
            resp.begin()
            results[i] = (resp.status, json.loads(resp.read()))
        except Exception as e:  # recorded, so that the assertion shows it
            results[i] = ("error", repr(e))
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_fifty_simultaneous_logins_one_winner(make_server, data_dir):
    """20 rounds, each on its own merchant: 50 connections send the same valid
    code at the same moment; exactly one gets 200 and 49 get 401
    INVALID_CREDENTIALS.  The database then holds last_step = the code's step
    and exactly one session per merchant."""
    merchants = [add_merchant(data_dir, name=f"race-{i}") for i in range(ROUNDS)]
    srv = make_server(args=["--log-refusals", "0"])  # every outcome is counted below
    for r, m in enumerate(merchants):
        now = time.time()
        code = code_at(m, now)
        results = race(srv.port, m["api_key"], code)
        ok = [b for s, b in results if s == 200]
        refused = [b for s, b in results if s == 401]
        others = [(s, b) for s, b in results if s not in (200, 401)]
        assert (len(ok), len(refused)) == (1, CLIENTS - 1), \
            f"round {r}: {len(ok)} x 200, {len(refused)} x 401, others: {others[:3]}"
        assert all(b == {"ErrorCode": "INVALID_CREDENTIALS", "Message": refused[0]["Message"]} for b in refused)
        assert "AccessToken" in ok[0]

        assert merchant_row(data_dir, m["merchant_id"])["last_step"] == step_of(m, now), f"round {r}"
        rows = session_rows(data_dir, m["merchant_id"])
        assert len(rows) == 1, f"round {r}: {len(rows)} sessions"

    # the log agrees: one "ok" per merchant
    for m in merchants:
        outcomes = srv.wait_login_outcome(m["merchant_id"], CLIENTS)
        assert len(outcomes) == CLIENTS
        assert outcomes.count("ok") == 1, outcomes
