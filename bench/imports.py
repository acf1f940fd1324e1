#!/usr/bin/env python3
"""Imports at size: a 5,000-person HR roster and a 5,000-row portal user list, each previewed
and committed, timed at the client with the server's peak memory.

    python3 bench/imports.py                    # SQLite (and PostgreSQL with BENCH_DATABASE_URL)
    python3 bench/imports.py --people 500       # a smoke test

Builds Portcullis in release mode and starts it on a fresh database, pinned to core 0. One
practice, its people from rosters, a policy granting everyone Noridian eligibility:

1. the first roster (`--people` joiners: each a SCIM-equivalent create and its provision task);
2. the next roster: 5 % change title, 1 % terminated, 1 % no longer listed;
3. the first Noridian list: every account found by e-mail and recorded (policy then cancels
   the provision tasks);
4. the next list: 1 % role drift, 1 % missing, 0.5 % generic logins, 0.5 % nobody's.

Each step's preview and commit is one request; peak RSS is VmHWM, reset just before it.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "portcullis")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from review_campaign import cli, free_port, fresh_database, log, reset_peak, rss_mib  # noqa: E402


def request(port, method, path, token, body=None, content_type=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, payload


def multipart(name, data):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def measured(server, port, token, path, name, data, confirm_key):
    """Preview then commit one file; (preview s, preview MiB, commit s, commit MiB, preview)."""
    body, content_type = multipart(name, data)
    reset_peak(server.pid)
    started = time.monotonic()
    status, shown = request(port, "POST", path, token, body, content_type)
    preview_s = time.monotonic() - started
    assert status == 201, (status, shown[:400])
    preview_mib = rss_mib(server.pid, "VmHWM")
    shown = json.loads(shown)
    confirm = {}
    if shown.get("needs_confirmation"):
        confirm = {"confirm_missing": confirm_key(shown)}
    reset_peak(server.pid)
    started = time.monotonic()
    status, done = request(port, "POST", f"{path}/{shown['id']}/commit", token,
                           json.dumps(confirm), "application/json")
    commit_s = time.monotonic() - started
    assert status == 200, (status, done[:400])
    return preview_s, preview_mib, commit_s, rss_mib(server.pid, "VmHWM"), shown


def roster(people, version):
    lines = ["Employee ID,First Name,Last Name,Work Email,Job Title,Department,Status,Termination Date"]
    for i in range(people):
        if version == 2 and i % 100 == 1:
            continue  # no longer listed
        title = "Biller" if version == 2 and i % 20 == 0 else "Front Desk"
        status = "Terminated" if version == 2 and i % 100 == 2 else "Active"
        lines.append(f"{i},Given{i},Family{i},p{i:06d}@bench.example,{title},Front Office,{status},")
    return ("\r\n".join(lines) + "\r\n").encode()


def portal_list(people, version):
    lines = ["User ID,User Name,Email,Approved Functions,Status,Last Login Date"]
    for i in range(people):
        if i % 100 in (1, 2):
            continue  # they left (roster 2): their accounts are gone from the list too
        if version == 2 and i % 100 == 3:
            continue  # missing
        roles = "Eligibility; Claim Status" if version == 2 and i % 100 == 4 else "Eligibility"
        lines.append(f"u{i},Given{i} Family{i},p{i:06d}@bench.example,{roles},Active,11/30/2026")
    if version == 2:
        for j in range(people // 200):
            lines.append(f"frontdesk{j},Front Desk,,Eligibility,Active,11/30/2026")
            lines.append(f"stranger{j},Someone Else,x{j}@elsewhere.example,Eligibility,Active,11/30/2026")
    return ("\r\n".join(lines) + "\r\n").encode()


def run(kind, people):
    directory = tempfile.mkdtemp(prefix="import-bench-")
    port = free_port()
    env = dict(os.environ, PORTCULLIS_DATABASE_URL=fresh_database(kind, directory),
               PORTCULLIS_LISTEN=f"127.0.0.1:{port}", PORTCULLIS_LOG__LEVEL="warn",
               PORTCULLIS_RATE_LIMIT__PER_SECOND="100000", PORTCULLIS_RATE_LIMIT__BURST="100000")
    env.pop("PORTCULLIS_CONFIG", None)
    cli(env, "practice", "create", "--slug", "hr", "--name", "HR clinic", "--timezone", "America/Chicago")
    cli(env, "admin", "create", "--practice", "hr", "--email", "max@hr.example", "--name", "Max", "--role", "portal_admin")
    admin = cli(env, "token", "create", "--practice", "hr", "--admin", "max@hr.example")
    server = subprocess.Popen(["taskset", "-c", "0", BINARY], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {}
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/readyz", admin)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        assert request(port, "POST", "/api/v1/practice-portals", admin,
                       json.dumps({"portal": "noridian-nmp"}), "application/json")[0] == 201
        policy = {"rules": [{"name": "Everyone", "when": {}, "grant": {"noridian-nmp": ["eligibility"]}}]}
        assert request(port, "PUT", "/api/v1/policy", admin, json.dumps(policy), "application/json")[0] == 200
        steps = [
            ("roster 1", "/api/v1/roster/imports", "roster1.csv", roster(people, 1)),
            ("roster 2", "/api/v1/roster/imports", "roster2.csv", roster(people, 2)),
            ("list 1", "/api/v1/practice-portals/noridian-nmp/imports", "list1.csv", portal_list(people, 1)),
            ("list 2", "/api/v1/practice-portals/noridian-nmp/imports", "list2.csv", portal_list(people, 2)),
        ]
        for label, path, name, data in steps:
            confirm = (lambda s: len(s["plan"]["missing"])) if "roster" in path else (lambda s: s["missing"])
            p_s, p_mib, c_s, c_mib, shown = measured(server, port, admin, path, name, data, confirm)
            if "plan" in shown:
                what = {k: len(shown["plan"][k]) for k in ("joiners", "movers", "leavers", "missing")}
            else:
                what = shown["counts"]
            results[label] = {"rows": data.count(b"\n") - 1, "bytes": len(data), "changes": what,
                              "preview_s": round(p_s, 2), "preview_peak_mib": round(p_mib, 1),
                              "commit_s": round(c_s, 2), "commit_peak_mib": round(c_mib, 1)}
            log(f"{kind} {label}: {results[label]}")
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("BENCH_DATABASE_URL") else [])
    print(json.dumps({kind: run(kind, args.people) for kind in kinds}, indent=2))


if __name__ == "__main__":
    main()
