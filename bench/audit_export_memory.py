#!/usr/bin/env python3
"""Peak resident memory of Portcullis while it streams a large audit export.

The audit export must never hold the trail in memory (DESIGN.md: six years of records). This
benchmark builds the release binary, starts it on a fresh SQLite file, fills one practice's
trail with N records (one SCIM user creation appends one record), then downloads
`GET /api/v1/audit/export` as JSON Lines and CSV while sampling the server's resident memory.

It prints, per format: records and bytes received, seconds, resident memory before the export
and the peak during it (VmHWM after resetting it through /proc/PID/clear_refs, and the highest
VmRSS sampled every 20 ms). A streamed export keeps the peak near the baseline whatever N is;
one built in memory would grow by roughly the size of the file.

Usage: python3 bench/audit_export_memory.py [--records 100000] [--no-build]
Loopback only; every loop is bounded; the server is stopped by its PID at the end.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "portcullis")


def run_cli(env, *args):
    out = subprocess.run([BINARY, *args], env=env, check=True, capture_output=True, text=True,
                         timeout=120)
    return out.stdout


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid, field):
    """A `kB` field of /proc/PID/status, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} missing from /proc/{pid}/status")


def reset_peak(pid):
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def wait_ready(port, deadline_s=60):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready within 60 s")


def fill(port, token, records, workers=4):
    """Creates `records` SCIM users over `workers` keep-alive connections."""
    errors = []
    per_worker = (records + workers - 1) // workers

    def worker(w):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        for i in range(w * per_worker, min(records, (w + 1) * per_worker)):
            body = json.dumps({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"user{i:07d}@bench.example",
                "name": {"givenName": "Bench", "familyName": f"User{i}"},
                "active": True,
            })
            conn.request("POST", "/scim/v2/Users", body, headers)
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                errors.append(f"POST /Users answered {response.status}")
                return

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])


def export(port, token, pid, fmt):
    """Downloads the export, counting lines and bytes, while sampling the server's RSS."""
    reset_peak(pid)
    baseline = proc_status(pid, "VmRSS")
    sampled_peak = baseline
    stop = threading.Event()

    def sample():
        nonlocal sampled_peak
        while not stop.is_set():
            sampled_peak = max(sampled_peak, proc_status(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", f"/api/v1/audit/export?format={fmt}",
                 headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    if response.status != 200:
        stop.set()
        sampler.join()
        raise RuntimeError(f"export answered {response.status}: {response.read()[:300]!r}")
    total_bytes = lines = 0
    while True:
        chunk = response.read(1 << 16)
        if not chunk:
            break
        total_bytes += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    peak = max(sampled_peak, proc_status(pid, "VmHWM"))
    records = lines - 1 if fmt == "csv" else lines  # CSV has a header line
    return records, total_bytes, elapsed, baseline, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--no-build", action="store_true", help="use the existing release binary")
    args = parser.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "portcullis"], cwd=ROOT,
                       check=True, timeout=1800)
    work = tempfile.mkdtemp(prefix="portcullis-bench-")
    port = free_port()
    env = dict(os.environ,
               PORTCULLIS_DATABASE_URL=f"sqlite://{work}/bench.db?mode=rwc",
               PORTCULLIS_LISTEN=f"127.0.0.1:{port}",
               PORTCULLIS_LOG__LEVEL="warn",
               PORTCULLIS_RATE_LIMIT__PER_SECOND="1000000",
               PORTCULLIS_RATE_LIMIT__BURST="1000000")
    server = None
    try:
        run_cli(env, "migrate")
        run_cli(env, "practice", "create", "--slug", "bench", "--name", "Bench Practice")
        token = run_cli(env, "token", "create", "--practice", "bench",
                        "--scope", "scim,admin:read").strip().splitlines()[-1]
        server = subprocess.Popen([BINARY, "serve"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_ready(port)
        started = time.monotonic()
        fill(port, token, args.records)
        print(f"filled {args.records} records in {time.monotonic() - started:.1f} s", flush=True)
        print(f"resident after filling: {proc_status(server.pid, 'VmRSS'):.1f} MiB")
        print(f"{'format':<6} {'records':>8} {'MiB sent':>9} {'seconds':>8} "
              f"{'RSS before':>11} {'peak RSS':>9} {'growth':>7}")
        for fmt in ("jsonl", "csv"):
            records, size, elapsed, baseline, peak = export(port, token, server.pid, fmt)
            if records < args.records:
                raise RuntimeError(f"{fmt} export held {records} records, expected >= {args.records}")
            print(f"{fmt:<6} {records:>8} {size / 2**20:>9.1f} {elapsed:>8.2f} "
                  f"{baseline:>9.1f}Mi {peak:>7.1f}Mi {peak - baseline:>5.1f}Mi", flush=True)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
