#!/usr/bin/env python3
"""Access reviews at size: opening a campaign over 10,000 people x 5 portals (50,000 accounts),
and a reviewer's page with 2,000 items: time and the server's memory.

    python3 bench/review_campaign.py                       # SQLite (and PostgreSQL with BENCH_DATABASE_URL)
    python3 bench/review_campaign.py --people 1000         # a smoke test

Builds Portcullis in release mode and starts it on a fresh database; once filled, the server is
pinned to core 0. Practice
"big": `--people` people over SCIM, each with a recorded account in five portals; opening the
review (`POST /api/v1/reviews`, the snapshot of every account with its context and reviewer in
one transaction) is timed at the client and the server's peak RSS (VmHWM, reset just before)
read from /proc. Practice "page": 400 people x 5 portals = 2,000 items, all one manager's; their
page (`/console/reviews/{id}?mine=1`, every item with its forms) is fetched once for its size
and peak memory, then timed with wrk on core 1 (8 connections).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK_SCRIPT = os.path.join(ROOT, "bench", "wrk", "console.lua")
BINARY = os.path.join(ROOT, "target", "release", "portcullis")
PORTALS = {
    "availity-essentials": "eligibility-benefits",
    "uhc-provider-portal": "eligibility-benefits",
    "cigna-for-hcp": "eligibility",
    "noridian-nmp": "eligibility",
    "palmetto-eservices": "eligibility",
}


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env, *args):
    out = subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def call(port, method, path, token=None, body=None, headers=None, conn=None):
    """One request; with `conn`, over that kept-alive connection (the fill's threads reuse theirs)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=all_headers)
    response = conn.getresponse()
    payload = response.read()
    if own:
        conn.close()
    return response.status, response.getheader("Set-Cookie"), payload


def rss_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def reset_peak(pid):
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def fresh_database(kind, directory):
    if kind == "sqlite":
        return f"sqlite://{directory}/bench.db?mode=rwc"
    server = os.environ["BENCH_DATABASE_URL"]
    name = f"portcullis_review_bench_{os.getpid()}"
    subprocess.run(["psql", server, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return server.rsplit("/", 1)[0] + "/" + name


def fill(port, idp, admin, people, prefix, manager=None, workers=6):
    """`people` people over SCIM, each with an account in every portal."""
    errors = []

    def work(worker):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for i in range(worker, people, workers):
            body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "userName": f"{prefix}{i:06d}@bench.example", "displayName": f"Person {i:06d}",
                    "title": "Staff", "active": True}
            if manager:
                body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = {
                    "manager": {"value": manager}}
            status, _, created = call(port, "POST", "/scim/v2/Users", idp, body,
                                      {"Content-Type": "application/scim+json"}, conn)
            if status != 201:
                errors.append(status)
                return
            person = json.loads(created)["id"]
            for portal, role in PORTALS.items():
                status, _, _ = call(port, "POST", f"/api/v1/people/{person}/accounts", admin,
                                    {"portal": portal, "username": f"{prefix}{i}", "roles": [role]},
                                    conn=conn)
                if status != 200:
                    errors.append(status)
                    return

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]


def practice(env, port, slug, email, role):
    cli(env, "practice", "create", "--slug", slug, "--name", f"{slug} clinic", "--timezone", "America/Chicago")
    link = cli(env, "admin", "create", "--practice", slug, "--email", email, "--name", "Max Bench", "--role", role)
    admin = cli(env, "token", "create", "--practice", slug, "--admin", email)
    idp = cli(env, "token", "create", "--practice", slug, "--scope", "scim", "--name", "idp")
    return link, admin, idp


def run(kind, people, seconds):
    directory = tempfile.mkdtemp(prefix="review-bench-")
    port = free_port()
    env = dict(os.environ, PORTCULLIS_DATABASE_URL=fresh_database(kind, directory),
               PORTCULLIS_LISTEN=f"127.0.0.1:{port}", PORTCULLIS_LOG__LEVEL="warn",
               PORTCULLIS_RATE_LIMIT__PER_SECOND="100000", PORTCULLIS_RATE_LIMIT__BURST="100000",
               PORTCULLIS_CONSOLE__SESSION_IDLE_TIMEOUT="1h")
    env.pop("PORTCULLIS_CONFIG", None)
    _, big_admin, big_idp = practice(env, port, "big", "max@big.example", "portal_admin")
    page_link, page_admin, page_idp = practice(env, port, "page", "max@page.example", "portal_admin")
    # The fill runs on both cores; the measurements pin the server to core 0 (below).
    server = subprocess.Popen([BINARY], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    results = {}
    try:
        for _ in range(200):
            try:
                if call(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        for token in (big_admin, page_admin):
            for portal in PORTALS:
                assert call(port, "POST", "/api/v1/practice-portals", token, {"portal": portal})[0] == 201

        log(f"{kind}: {people} people x {len(PORTALS)} portals")
        started = time.monotonic()
        fill(port, big_idp, big_admin, people, "p")
        log(f"{kind}: filled in {time.monotonic() - started:.0f} s")
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        rss_before = rss_mib(server.pid, "VmRSS")
        reset_peak(server.pid)
        started = time.monotonic()
        status, _, opened = call(port, "POST", "/api/v1/reviews", big_admin,
                                 {"name": "Q1", "deadline": "2099-01-31"})
        elapsed = time.monotonic() - started
        assert status == 201, (status, opened[:300])
        items = json.loads(opened)["items"]
        assert items == people * len(PORTALS), items
        results["open"] = {"items": items, "seconds": round(elapsed, 2),
                           "rss_before_mib": round(rss_before, 1),
                           "peak_rss_mib": round(rss_mib(server.pid, "VmHWM"), 1)}
        log(f"{kind} open: {items} items in {elapsed:.2f} s, peak RSS "
            f"{results['open']['peak_rss_mib']} MiB (before {rss_before:.0f})")

        # The reviewer's page: 400 people whose manager is Max, 5 accounts each.
        status, _, me = call(port, "POST", "/scim/v2/Users", page_idp,
                             {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                              "userName": "max@page.example", "displayName": "Max Bench", "active": True},
                             {"Content-Type": "application/scim+json"})
        assert status == 201, status
        fill(port, page_idp, page_admin, 400, "q", manager=json.loads(me)["id"])
        status, _, opened = call(port, "POST", "/api/v1/reviews", page_admin,
                                 {"name": "Q1", "deadline": "2099-01-31"})
        assert status == 201, status
        review = json.loads(opened)["id"]
        path = urllib.parse.urlsplit(page_link).path
        status, cookie, _ = call(port, "POST", path, headers={"Origin": f"http://127.0.0.1:{port}"})
        assert status == 303 and cookie, (status, cookie)
        cookie = cookie.split(";")[0]
        page = f"/console/reviews/{review}?mine=1"
        reset_peak(server.pid)
        started = time.monotonic()
        status, _, body = call(port, "GET", page, headers={"Cookie": cookie})
        first = time.monotonic() - started
        assert status == 200, status
        rows = len(re.findall(r'<tr id="item-', body.decode()))
        assert rows == 2000, rows
        peak = rss_mib(server.pid, "VmHWM")
        out = subprocess.run(
            ["taskset", "-c", "1", "wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", WRK_SCRIPT,
             f"http://127.0.0.1:{port}/"],
            env=dict(os.environ, BENCH_COOKIE=cookie, BENCH_PATH=page),
            capture_output=True, text=True, check=True)
        line = next(l for l in out.stdout.splitlines() if l.startswith("BENCH "))
        result = json.loads(line[len("BENCH "):])
        assert not result["status_errors"] and not result["socket_errors"], result
        results["page"] = {"items": rows, "bytes": len(body), "first_ms": round(first * 1000, 1),
                           "rps": round(result["rps"], 1), "p50_ms": round(result["p50_ms"], 1),
                           "p99_ms": round(result["p99_ms"], 1), "peak_rss_mib": round(peak, 1)}
        log(f"{kind} page: {rows} items, {len(body)} bytes, {result['rps']:.1f}/s, "
            f"p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, peak RSS {peak:.0f} MiB")
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("BENCH_DATABASE_URL") else [])
    print(json.dumps({kind: run(kind, args.people, args.seconds) for kind in kinds}, indent=2))


if __name__ == "__main__":
    main()
