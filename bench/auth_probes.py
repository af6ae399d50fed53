"""The concurrency probes of issue 16, repeatable: parallel refresh of one token, parallel wrong
passwords, wrong passwords racing the right one, parallel current_password guesses. Prints the status
counts each probe saw against what must hold, and the time of a burst against one request alone.

Its own stack (default): a scratch database ``proxima_bench_auth`` on the embedded PostgreSQL and the
API on a local port in this process, a user with the production bcrypt cost (12):
    .venv/bin/python bench/auth_probes.py [--rounds 3] 2>/dev/null
Against a running stack (``make run``; the user's throttle state there changes, as an attacker's would):
    .venv/bin/python bench/auth_probes.py --url http://127.0.0.1:8000 --email accountant@proxima.local \\
        --password demo-password-2026
Exit status 1 when a probe saw what must not happen.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MAX_FAILURES = 5  # LOGIN_MAX_FAILURES default


def call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict, float]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    return status, json.loads(payload or b"null"), time.perf_counter() - started


def burst(calls) -> tuple[list, float]:
    start = threading.Barrier(len(calls))

    def run(fn):
        start.wait()
        return fn()

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = list(pool.map(run, calls))
    return results, time.perf_counter() - began


class Probe:
    def __init__(self, base: str, email: str, password: str, reset=None):
        self.api = base.rstrip("/") + "/api"
        self.email, self.password = email, password
        self.reset = reset or (lambda: None)
        self.failed = False

    def login(self, password: str | None = None):
        return call(f"{self.api}/auth/login", {"email": self.email, "password": password or self.password})

    def report(self, name: str, counts: Counter, expected: str, ok: bool, burst_s: float, single_s: float) -> None:
        self.failed |= not ok
        seen = ", ".join(f"{n} x {s}" for s, n in sorted(counts.items()))
        print(f"  {name:<42} saw {seen:<22} must be {expected:<22} {'ok' if ok else 'FAILED'}"
              f"   burst {burst_s * 1000:7.0f} ms = {burst_s / single_s:5.1f} x one request ({single_s * 1000:.0f} ms)")

    def parallel_refresh(self, n: int = 10) -> None:
        self.reset()
        _, other, _ = self.login()
        _, _, single = call(f"{self.api}/auth/refresh", {"refresh_token": other["refresh_token"]})
        status, pair, _ = self.login()
        assert status == 200, pair
        results, took = burst([lambda: call(f"{self.api}/auth/refresh", {"refresh_token": pair["refresh_token"]})] * n)
        counts = Counter(s for s, _, _ in results)
        winners = [b for s, b, _ in results if s == 200]
        family_dead = all(call(f"{self.api}/auth/refresh", {"refresh_token": w["refresh_token"]})[0] == 401
                          for w in winners)
        self.report(f"{n} parallel refreshes of one token", counts, f"1 x 200, {n - 1} x 401",
                    counts == Counter({200: 1, 401: n - 1}) and family_dead, took, single)

    def parallel_wrong(self, n: int = 16) -> None:
        self.reset()
        _, _, single = self.login("wrong-password-probe")
        self.reset()
        results, took = burst([lambda: self.login("wrong-password-probe")] * n)
        counts = Counter(s for s, _, _ in results)
        self.report(f"{n} parallel wrong passwords", counts, f"{MAX_FAILURES} x 401, rest 429",
                    counts[401] <= MAX_FAILURES and counts[200] == 0, took, single)

    def wrong_racing_right(self, n: int = 12) -> None:
        self.reset()
        _, _, single = self.login()
        self.reset()
        results, took = burst([lambda: self.login("wrong-password-probe")] * n + [lambda: self.login()])
        counts = Counter(s for s, _, _ in results[:n])
        after = self.login("wrong-password-probe")[0]
        # From one address a success forgives that address's earlier, finished guesses; it must never
        # let more than the limit through in one burst.
        self.report(f"{n} wrong + the right one, in parallel", counts, f"<= {MAX_FAILURES} x 401",
                    counts[401] <= MAX_FAILURES and counts[200] == 0 and after in (401, 429), took, single)

    def parallel_current_password(self, n: int = 8) -> None:
        self.reset()
        status, pair, _ = self.login()
        assert status == 200, pair
        url = f"{self.api}/auth/password"
        guess = {"current_password": "wrong-guess-probe", "new_password": "never-set-password"}
        _, _, single = call(url, guess, pair["access_token"])
        self.reset()
        status, pair, _ = self.login()
        results, took = burst([lambda: call(url, guess, pair["access_token"])] * n)
        counts = Counter(s for s, _, _ in results)
        self.report(f"{n} parallel current_password guesses", counts, f"{MAX_FAILURES} x 401, rest 429",
                    counts[401] <= MAX_FAILURES and counts[200] == 0, took, single)


def own_stack():
    import os

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the figures, not a log line per request
    from chalicelib.adapters.migrations import migrate_up
    from chalicelib.config import Settings
    from chalicelib.services import auth
    from chalicelib.services import container as container_module
    from infra.local.server import BackgroundServer
    from infra.local.stack import LOCAL_DIR, embedded_postgres

    dsn = embedded_postgres(LOCAL_DIR / "pg", "proxima_bench_auth")
    migrate_up(dsn)
    settings = Settings(database_url=dsn, auth_secret="bench-" + "x" * 40, bcrypt_rounds=12, pg_pool_max_size=8)
    container = container_module.Container(settings)
    container_module.use(container)
    email, password = "probe@bench.local", "probe-password-2026"
    auth.create_user(email, password, "accountant", "Probe", replace=True)
    server = BackgroundServer()
    server.server.server.socket.listen(64)  # http.server's backlog of 5 would reset a burst of 16
    server.start()

    def reset():
        container.db.run(lambda conn: conn.execute("DELETE FROM auth.login_failures"))

    return server, email, password, reset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = None
    if args.url:
        probe = Probe(args.url, args.email, args.password)
        print(f"against {args.url} as {args.email} (the throttle is not reset between probes)")
    else:
        server, email, password, reset = own_stack()
        probe = Probe(server.url, email, password, reset)
        print(f"own stack at {server.url}, bcrypt cost 12, {args.rounds} rounds")
    try:
        for round_no in range(1, args.rounds + 1):
            print(f"round {round_no}")
            probe.parallel_refresh()
            probe.parallel_wrong()
            probe.wrong_racing_right()
            probe.parallel_current_password()
    finally:
        if server:
            server.stop()
    print("all probes held" if not probe.failed else "SOME PROBES FAILED")
    sys.exit(1 if probe.failed else 0)


if __name__ == "__main__":
    main()
