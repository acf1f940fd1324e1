#!/usr/bin/env python3
"""The console's busiest pages with 10,000 open tasks in the practice, 8 connections.

    python3 bench/console_pages.py                 # SQLite (and PostgreSQL with BENCH_DATABASE_URL)
    python3 bench/console_pages.py --tasks 2000    # a smoke test

Builds Portcullis in release mode, starts it on a fresh database, adds two portals and a policy
granting both to every user, and creates tasks/2 people over SCIM (two provision tasks each).
Signs in through a one-time link as a browser does (the link's POST sets the session cookie),
then times with wrk (Debian's), server on core 0 and wrk on core 1: the queue ("All", the first
page of 100 of the 10,000) and a task's page. Prints p50/p99 latency at the client (loopback, so
server time plus microseconds) and each page's size in bytes.
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


def call(port, method, path, token=None, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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
    conn.close()
    return response.status, response.getheader("Set-Cookie"), payload


def fresh_database(kind, directory):
    if kind == "sqlite":
        return f"sqlite://{directory}/bench.db?mode=rwc"
    server = os.environ["BENCH_DATABASE_URL"]
    name = f"portcullis_console_bench_{os.getpid()}"
    subprocess.run(["psql", server, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return server.rsplit("/", 1)[0] + "/" + name


def run(kind, tasks, seconds):
    directory = tempfile.mkdtemp(prefix="console-bench-")
    port = free_port()
    env = dict(os.environ, PORTCULLIS_DATABASE_URL=fresh_database(kind, directory),
               PORTCULLIS_LISTEN=f"127.0.0.1:{port}", PORTCULLIS_LOG__LEVEL="warn",
               PORTCULLIS_RATE_LIMIT__PER_SECOND="100000", PORTCULLIS_RATE_LIMIT__BURST="100000",
               PORTCULLIS_CONSOLE__SESSION_IDLE_TIMEOUT="1h")
    env.pop("PORTCULLIS_CONFIG", None)
    cli(env, "practice", "create", "--slug", "bench", "--name", "Bench Clinic", "--timezone", "America/Chicago")
    link = cli(env, "admin", "create", "--practice", "bench", "--email", "dana@bench.example",
               "--name", "Dana Bench", "--role", "portal_admin")
    admin = cli(env, "token", "create", "--practice", "bench", "--admin", "dana@bench.example")
    idp = cli(env, "token", "create", "--practice", "bench", "--scope", "scim", "--name", "idp")
    server = subprocess.Popen(["taskset", "-c", "0", BINARY], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if call(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        for portal in ["availity-essentials", "noridian-nmp"]:
            assert call(port, "POST", "/api/v1/practice-portals", admin, {"portal": portal})[0] == 201
        policy = {"rules": [{"name": "Everyone", "when": {"title": ["Staff"]},
                             "grant": {"availity-essentials": ["eligibility-benefits"],
                                       "noridian-nmp": ["eligibility"]}}]}
        assert call(port, "PUT", "/api/v1/policy", admin, policy)[0] == 200
        people = tasks // 2
        log(f"{kind}: creating {people} people ({tasks} tasks)")
        errors = []

        def create(worker, workers=6):
            for i in range(worker, people, workers):
                body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": f"p{i:06d}@bench.example", "displayName": f"Person {i:06d}",
                        "title": "Staff", "active": True}
                status = call(port, "POST", "/scim/v2/Users", idp, body,
                              {"Content-Type": "application/scim+json"})[0]
                if status != 201:
                    errors.append(status)
                    return

        threads = [threading.Thread(target=create, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        path = urllib.parse.urlsplit(link).path
        status, cookie, _ = call(port, "POST", path, headers={"Origin": f"http://127.0.0.1:{port}"})
        assert status == 303 and cookie, (status, cookie)
        cookie = cookie.split(";")[0]
        status, _, queue = call(port, "GET", "/console/queue?view=all", headers={"Cookie": cookie})
        assert status == 200, status
        assert f"All ({tasks})" in queue.decode(), "the queue counts every task"
        task = re.search(r'/console/tasks/([0-9a-f-]{36})', queue.decode()).group(1)
        results = {}
        for name, page in [("queue (All, first 100 of %d)" % tasks, "/console/queue?view=all"),
                           ("task page", f"/console/tasks/{task}")]:
            status, _, body = call(port, "GET", page, headers={"Cookie": cookie})
            assert status == 200, (page, status)
            out = subprocess.run(
                ["taskset", "-c", "1", "wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", WRK_SCRIPT,
                 f"http://127.0.0.1:{port}/"],
                env=dict(os.environ, BENCH_COOKIE=cookie, BENCH_PATH=page),
                capture_output=True, text=True, check=True)
            line = next(l for l in out.stdout.splitlines() if l.startswith("BENCH "))
            result = json.loads(line[len("BENCH "):])
            assert not result["status_errors"] and not result["socket_errors"], result
            result["bytes"] = len(body)
            results[name] = result
            log(f"{kind} {name}: {result['rps']:.0f}/s, p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, {len(body)} bytes")
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("BENCH_DATABASE_URL") else [])
    results = {kind: run(kind, args.tasks, args.seconds) for kind in kinds}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
