#!/usr/bin/env python3
"""Portcullis against other SCIM servers and against this machine's floors, in one run.

    python3 bench/run.py                  # 10k users, 3 repetitions, every server it can set up
    python3 bench/run.py --quick          # 2k users, 1 repetition, short runs: a smoke test
    python3 bench/run.py --sizes 10000,100000 --reps 3
    python3 bench/run.py --quick --no-build --only "scim-server crate,django"   # some servers only

Builds Portcullis in release mode and starts it on SQLite (and on PostgreSQL when
BENCH_DATABASE_URL is set, e.g. postgres://postgres@127.0.0.1:5432/postgres), with an empty
policy and with one that maps every user to three portals (tasks written in the same
transaction). Peers are installed into bench/.peers (git-ignored) from their registries:
scim2-server (PyPI) and scimmy (npm) in memory; the scim-server crate (crates.io) in a minimal
actix-web host (bench/hosts), on its in-memory and on its SQLite store; and django-scim2 (PyPI) in
a minimal Django project (bench/peers/django) on SQLite in WAL mode under gunicorn.
Servers run on core 0 and the load generator (wrk, from Debian) on core 1; servers alternate
within each repetition; every process started is stopped by its PID. Before timing, each server
must pass the same correctness checks, so a server that fails fast cannot win.

Workloads: (a) create users on one connection, then on 16; (b) filter userName eq at 16 and 64
connections; (c) PATCH active=false at 16; (d) pages of 100 at random offsets, and a full
import paged sequentially; (e) one Group PATCH adding 1,000 members; (f) resident memory after
loading. Floors: a bare actix-web JSON echo (1 and 16 connections), SQLite one insert per commit (WAL,
synchronous FULL and NORMAL), and the same storage crates Portcullis uses (sea-orm over sqlx's
SQLite driver, bench/driver_floor.rs): SELECT 1 round trips and insert+commit, no HTTP.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PEERS = os.path.join(BENCH, ".peers")
WRK_DIR = os.path.join(BENCH, "wrk")
PORTCULLIS = os.path.join(ROOT, "target", "release", "portcullis")
TOKEN = "bench-static-token-0123456789"
SERVER_CORE, LOAD_CORE = "0", "1"
# The policy that maps every user to three portals (so each create plans three tasks).
THREE_PORTALS = ["availity-essentials", "noridian-nmp", "cigna-for-hcp"]


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    """Resident memory of a process and its children (gunicorn, npm wrappers), in MiB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=5)
        pids += [int(p) for p in out.stdout.split()]
    except (OSError, subprocess.SubprocessError):
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Client:
    """One keep-alive HTTP/1.1 connection to a SCIM base URL."""

    def __init__(self, base, token):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = parsed.hostname, parsed.port, parsed.path.rstrip("/")
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/scim+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            try:
                self.conn.request(method, self.prefix + path, data, headers)
                response = self.conn.getresponse()
                text = response.read()
                return response.status, (json.loads(text) if text else None)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def user(i):
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"u{i:07d}@bench.example",
        "name": {"givenName": "Bench", "familyName": f"User{i}"},
        "title": "Front Desk",
        "active": True,
    }


class Server:
    """A SCIM server under test: started fresh for each measurement, stopped by its PID."""

    name = "?"

    def __init__(self):
        self.proc = None
        self.port = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}{self.scim_path}"

    scim_path = ""
    token = TOKEN

    def command(self):
        raise NotImplementedError

    def prepare(self, work):
        """Per-start set-up (databases, tokens) before the process starts."""

    def env(self):
        return dict(os.environ)

    def start(self, work):
        self.port = free_port()
        self.prepare(work)
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CORE, *self.command()], env=self.env(),
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"{self.slug}.log"), "w"),
                                     cwd=work)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {work}/{self.slug}.log")
            try:
                status, _ = Client(self.base, self.token).call("GET", "/Users?count=1")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 60 s")

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    @property
    def slug(self):
        return self.name.replace(" ", "-").replace("/", "-").lower()


class Portcullis(Server):
    scim_path = "/scim/v2"

    def __init__(self, policy, database_url=None):
        super().__init__()
        self.policy = policy
        self.database_url = database_url
        backend = "PostgreSQL" if database_url else "SQLite"
        self.name = f"Portcullis {backend} ({policy} policy)"
        self.token = None

    def env(self):
        env = dict(os.environ)
        env.update({
            "PORTCULLIS_DATABASE_URL": self.url,
            "PORTCULLIS_LISTEN": f"127.0.0.1:{self.port}",
            "PORTCULLIS_LOG__LEVEL": "warn",
            "PORTCULLIS_RATE_LIMIT__PER_SECOND": "10000000",
            "PORTCULLIS_RATE_LIMIT__BURST": "10000000",
        })
        return env

    def prepare(self, work):
        if self.database_url:
            name = f"bench_{os.getpid()}_{int(time.time() * 1000)}"
            admin = self.database_url
            subprocess.run(["psql", "-X", "-q", admin, "-c", f'CREATE DATABASE "{name}"'], check=True, timeout=60)
            self.database = name
            self.url = admin.rsplit("/", 1)[0] + "/" + name
        else:
            db = os.path.join(work, "portcullis.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            self.url = f"sqlite://{db}?mode=rwc"
        env = self.env()
        cli = lambda *args: subprocess.run([PORTCULLIS, *args], env=env, check=True, capture_output=True,
                                           text=True, timeout=120).stdout
        cli("migrate")
        cli("practice", "create", "--slug", "bench", "--name", "Bench Practice")
        self.token = cli("token", "create", "--practice", "bench", "--scope", "scim,admin:read,admin:write").strip().splitlines()[-1]

    def command(self):
        return [PORTCULLIS, "serve"]

    def stop(self):
        super().stop()
        # Each start made its own PostgreSQL database: drop it with the server.
        if self.database_url and getattr(self, "database", None):
            subprocess.run(["psql", "-X", "-q", self.database_url, "-c", f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'],
                           check=False, timeout=60, capture_output=True)
            self.database = None

    def after_load(self):
        """On PostgreSQL, VACUUM ANALYZE the freshly loaded database, as autovacuum does within
        a minute on a default server (set autovacuum off and nothing does: a development
        server's `conf.d` may, and then the planner has no statistics and `userName eq` walks
        every user; Portcullis warns about it at start)."""
        if self.database_url:
            subprocess.run(["psql", "-X", "-q", self.url, "-c", "VACUUM ANALYZE"], check=True, timeout=300)

    def after_start(self):
        """The 3-portal policy goes in over the admin API, like a practice manager's."""
        if self.policy != "3-portal":
            return
        admin = Client(f"http://127.0.0.1:{self.port}", self.token)
        grants = {}
        for portal in THREE_PORTALS:
            status, body = admin.call("POST", "/api/v1/practice-portals", {"portal": portal, "org_scope": {"tin": "123456789"}})
            if status != 201:
                raise RuntimeError(f"adding {portal}: {status} {body}")
            status, catalog = admin.call("GET", "/api/v1/portals")
            roles = [p for p in catalog["items"] if p["slug"] == portal][0]["roles"]
            grants[portal] = [next(r["slug"] for r in roles if not r.get("is_admin"))]
        status, body = admin.call("PUT", "/api/v1/policy", {"rules": [{"name": "Everyone", "when": {}, "grant": grants}]})
        if status != 200:
            raise RuntimeError(f"policy: {status} {body}")


class Scim2Server(Server):
    """The python-scim reference server (PyPI `scim2-server`), in memory."""

    name = "scim2-server (Python, memory)"

    def command(self):
        return [os.path.join(PEERS, "venv", "bin", "scim2-server"), "--port", str(self.port), "--bearer-token", TOKEN]

    @staticmethod
    def install():
        venv = os.path.join(PEERS, "venv")
        if not os.path.exists(os.path.join(venv, "bin", "scim2-server")):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
            subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "scim2-server==0.8.3"], check=True, timeout=600)


class Scimmy(Server):
    """SCIMMY + scimmy-routers on Express (npm), with an in-memory Map store (bench/peers/scimmy)."""

    name = "scimmy (Node, memory)"
    scim_path = "/scim"

    def command(self):
        return ["node", os.path.join(PEERS, "scimmy", "server.mjs"), str(self.port), TOKEN]

    @staticmethod
    def install():
        target = os.path.join(PEERS, "scimmy")
        os.makedirs(target, exist_ok=True)
        for name in ("package.json", "server.mjs"):
            shutil.copy2(os.path.join(BENCH, "peers", "scimmy", name), target)
        installed = os.path.join(target, "node_modules", ".package-lock.json")
        if not os.path.exists(installed) or os.path.getmtime(installed) < os.path.getmtime(os.path.join(target, "package.json")):
            subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund"], cwd=target, check=True, timeout=600)


class ScimServerCrate(Server):
    """The `scim-server` crate (crates.io, pinned in bench/hosts/Cargo.toml) in a minimal actix-web
    host (bench/hosts/src/bin/scim_server_host.rs), on the crate's in-memory or SQLite store."""

    scim_path = "/scim/v2"
    binary = os.path.join(PEERS, "target", "release", "scim_server_host")

    def __init__(self, store):
        super().__init__()
        self.store = store
        self.name = f"scim-server crate (Rust, {'memory' if store == 'memory' else 'SQLite'})"

    def prepare(self, work):
        self.database = os.path.join(work, "scim-server-crate.db")
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(self.database + suffix):
                os.remove(self.database + suffix)

    def command(self):
        store = "memory" if self.store == "memory" else f"sqlite:{self.database}"
        return [self.binary, str(self.port), TOKEN, store]

    @staticmethod
    def install():
        # Built with the echo floor (build_hosts); nothing else to install.
        if not os.path.exists(ScimServerCrate.binary):
            raise FileNotFoundError(ScimServerCrate.binary)


class DjangoScim2(Server):
    """django-scim2 (PyPI) in a minimal Django project on SQLite (WAL, synchronous=FULL) under
    gunicorn: the durable peer most like Portcullis. Source in bench/peers/django, pins in its
    requirements.txt; copied to and run from bench/.peers/django."""

    name = "django-scim2 (Python, SQLite)"
    scim_path = "/scim/v2"
    source = os.path.join(BENCH, "peers", "django")
    home = os.path.join(PEERS, "django")
    venv = os.path.join(home, "venv")

    def env(self):
        env = dict(os.environ)
        env.update({"SCIM_BEARER_TOKEN": TOKEN, "BENCH_DJANGO_DB": self.database,
                    "DJANGO_SETTINGS_MODULE": "benchpeer.settings"})
        return env

    def prepare(self, work):
        """A fresh database per start, migrated like a deployment's first start."""
        self.database = os.path.join(work, "django.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.database + suffix):
                os.remove(self.database + suffix)
        done = subprocess.run([os.path.join(self.venv, "bin", "python"), "manage.py", "migrate", "--noinput", "-v0"],
                              cwd=self.home, env=self.env(), capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{self.name}: migrate failed: {done.stderr[-500:]}")

    def command(self):
        # gthread, 2 workers x 4 threads, as a small SQLite deployment on this 2-core machine
        # would run: one process per core (each runs one Python thread at a time), no more since
        # SQLite admits one writer at a time (more processes add memory and lock waits, not
        # throughput); threads overlap fsync and lock waits and keep the client's connections
        # alive (sync workers close every connection and want a buffering proxy in front). Like
        # every server here, all of it is pinned to the server core.
        return [os.path.join(self.venv, "bin", "gunicorn"), "--chdir", self.home, "--bind", f"127.0.0.1:{self.port}",
                "--worker-class", "gthread", "--workers", "2", "--threads", "4",
                # Inside run.py's 15 s stop; no control socket in $HOME.
                "--graceful-timeout", "5", "--no-control-socket", "--log-level", "warning",
                "benchpeer.wsgi:application"]

    @staticmethod
    def install():
        shutil.copytree(DjangoScim2.source, DjangoScim2.home, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.db*"))
        requirements = os.path.join(DjangoScim2.home, "requirements.txt")
        installed = os.path.join(DjangoScim2.venv, "installed-requirements.txt")  # what pip last installed
        with open(requirements) as f:
            wanted = f.read()
        if os.path.exists(installed):
            with open(installed) as f:
                if f.read() == wanted:
                    return
        if not os.path.exists(os.path.join(DjangoScim2.venv, "bin", "pip")):
            subprocess.run([sys.executable, "-m", "venv", DjangoScim2.venv], check=True, timeout=120)
        subprocess.run([os.path.join(DjangoScim2.venv, "bin", "pip"), "install", "-q", "-r", requirements], check=True, timeout=600)
        shutil.copy2(requirements, installed)


def wrk(script, base, token, seconds, connections, extra_env=None):
    env = dict(os.environ, BENCH_WRK_DIR=WRK_DIR, BENCH_BASE=urllib.parse.urlsplit(base).path.rstrip("/"),
               BENCH_TOKEN=token or "", BENCH_THREADS=str(min(connections, 2)))
    env.update(extra_env or {})
    parsed = urllib.parse.urlsplit(base)
    cmd = ["taskset", "-c", LOAD_CORE, "wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s",
           "--timeout", "30s", "--latency", "-s", os.path.join(WRK_DIR, script), f"http://{parsed.hostname}:{parsed.port}/"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    result = json.loads(line[len("BENCH "):])
    if result["status_errors"] or result["socket_errors"]:
        raise RuntimeError(f"{script}: {result['status_errors']} error statuses, {result['socket_errors']} socket errors")
    return result


def load(server, users, workers=6):
    """Creates `users` users u0000000… (not timed); returns their ids in order."""
    ids = [None] * users
    errors = []

    def work(w):
        client = Client(server.base, server.token)
        for i in range(w, users, workers):
            status, body = client.call("POST", "/Users", user(i))
            if status != 201:
                errors.append(f"POST /Users: {status} {str(body)[:200]}")
                return
            ids[i] = body["id"]

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return ids


def check(server, ids):
    """The same answers from everyone before anyone is timed."""
    client = Client(server.base, server.token)
    status, body = client.call("POST", "/Users", user(10_000_000 - 1))
    assert status == 201 and body.get("id"), f"{server.name}: create answered {status}"
    status, _ = client.call("POST", "/Users", user(10_000_000 - 1))
    assert status == 409, f"{server.name}: duplicate create answered {status}, not 409"
    q = urllib.parse.quote('userName eq "u0000001@bench.example"')
    status, body = client.call("GET", f"/Users?filter={q}")
    assert status == 200 and body["totalResults"] == 1 and len(body["Resources"]) == 1, f"{server.name}: filter found {body and body.get('totalResults')}"
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": False}}]}
    status, _ = client.call("PATCH", f"/Users/{ids[2]}", patch)
    assert status in (200, 204), f"{server.name}: PATCH answered {status}"
    status, body = client.call("GET", f"/Users/{ids[2]}")
    assert status == 200 and body["active"] is False, f"{server.name}: PATCH did not read back"
    status, body = client.call("GET", "/Users?startIndex=1&count=100")
    assert status == 200 and len(body["Resources"]) == 100, f"{server.name}: a page held {len(body.get('Resources', []))}"


def group_patch(server, ids):
    """Milliseconds for one PATCH adding 1,000 members to a new group (median of 3)."""
    client = Client(server.base, server.token)
    times = []
    for g in range(3):
        status, group = client.call("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": f"Bench group {g} {time.time()}"})
        assert status == 201, f"{server.name}: group create {status}"
        members = [{"value": i} for i in ids[g * 1000:(g + 1) * 1000]]
        patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": members}]}
        started = time.perf_counter()
        status, _ = client.call("PATCH", f"/Groups/{group['id']}", patch)
        times.append((time.perf_counter() - started) * 1000)
        assert status in (200, 204), f"{server.name}: group PATCH {status}"
    return statistics.median(times)


# A full import that takes longer than this is stopped and its time extrapolated from the pages
# read (logged as such): slow peers would otherwise take most of an hour at 100k users.
IMPORT_BUDGET_S = 120


def full_import(server, users):
    client = Client(server.base, server.token)
    started = time.perf_counter()
    seen = 0
    for start in range(1, users + 1, 100):
        status, body = client.call("GET", f"/Users?startIndex={start}&count=100")
        assert status == 200, f"{server.name}: page {start}: {status}"
        seen += len(body["Resources"])
        elapsed = time.perf_counter() - started
        if elapsed > IMPORT_BUDGET_S and seen < users:
            estimate = elapsed * users / seen
            log(f"{server.name}: import stopped after {elapsed:.0f} s at {seen} users; "
                f"extrapolated {estimate:.0f} s")
            return estimate
    assert seen >= users, f"{server.name}: import saw {seen} of {users}"
    return time.perf_counter() - started


def measure(server, users, seconds, work):
    """One repetition of every workload against a fresh server; returns {metric: value}."""
    out = {}
    # (a) creates on one connection, then on 16, on an empty server.
    server.start(work)
    try:
        getattr(server, "after_start", lambda: None)()
        r = wrk("create.lua", server.base, server.token, seconds, 1, {"BENCH_PREFIX": "c"})
        out["create rps"] = r["rps"]
        # The same at 16 connections (an identity provider pushing in parallel): writers that
        # queue can share one durable commit.
        r = wrk("create.lua", server.base, server.token, seconds, 16, {"BENCH_PREFIX": "d"})
        out["create rps c16"] = r["rps"]
    finally:
        server.stop()
    # The rest on a fresh server holding exactly `users` users.
    server.start(work)
    try:
        getattr(server, "after_start", lambda: None)()
        ids = load(server, users)
        getattr(server, "after_load", lambda: None)()
        out[f"RSS MiB"] = rss_mib(server.proc.pid)
        check(server, ids)
        for c in (16, 64):
            r = wrk("filter.lua", server.base, server.token, seconds, c, {"BENCH_USERS": str(users)})
            out[f"filter rps c{c}"] = r["rps"]
            out[f"filter p99 ms c{c}"] = r["p99_ms"]
        r = wrk("page.lua", server.base, server.token, seconds, 4, {"BENCH_USERS": str(users)})
        out["pages/s"] = r["rps"]
        out["import s"] = full_import(server, users)
        out["group PATCH ms"] = group_patch(server, ids)
        ids_file = os.path.join(work, "ids.txt")
        with open(ids_file, "w") as f:
            f.write("\n".join(ids[3000:] or ids))
        r = wrk("patch.lua", server.base, server.token, seconds, 16, {"BENCH_IDS": ids_file})
        out["leaver PATCH rps"] = r["rps"]
    finally:
        server.stop()
    return out


def sqlite_floor(synchronous, seconds):
    """One insert per commit, WAL, as a durable SCIM create must at least do."""
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(os.path.join(d, "floor.db"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            db.execute("BEGIN")
            db.execute("INSERT INTO t (body) VALUES (?)", ('{"userName":"floor@bench.example"}',))
            db.execute("COMMIT")
            n += 1
        return n / (time.perf_counter() - started)


DRIVER_FLOOR = os.path.join(ROOT, "target", "release", "examples", "driver_floor")


def driver_floor(seconds):
    """Statements through sea-orm and sqlx's SQLite driver with Portcullis' settings, no HTTP
    (bench/driver_floor.rs): SELECT 1 round trips at 1 and 16 tasks, durable insert+commit."""
    done = subprocess.run(["taskset", "-c", SERVER_CORE, DRIVER_FLOOR, str(seconds)],
                          capture_output=True, text=True, timeout=60 + 4 * seconds, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def echo_floor(seconds, work):
    binary = os.path.join(PEERS, "target", "release", "echo")
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", SERVER_CORE, binary, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        return {c: wrk("echo.lua", base, None, seconds, c)["rps"] for c in (1, 16)}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def selected(servers, only):
    """--only: comma-separated parts of server names (case-insensitive); none means everyone."""
    if not only:
        return servers
    # A comma followed by a space belongs to a name ("scim-server crate (Rust, memory)").
    parts = [p.strip().lower() for p in re.split(r",(?! )", only) if p.strip()]
    return [s for s in servers if any(p in s.name.lower() for p in parts)]


def build_hosts(always):
    """The echo floor and the scim-server crate's host: their own Cargo project (not the
    workspace), built into bench/.peers/target; with --no-build only when a binary is missing."""
    binaries = [os.path.join(PEERS, "target", "release", b) for b in ("echo", "scim_server_host")]
    if not always and all(os.path.exists(b) for b in binaries):
        return
    log("building the bench hosts (echo floor, scim-server crate host)")
    subprocess.run(["cargo", "build", "--release", "-q", "--manifest-path", os.path.join(BENCH, "hosts", "Cargo.toml"),
                    "--target-dir", os.path.join(PEERS, "target")], check=True, timeout=3600)


def setup(args):
    if shutil.which("wrk") is None:
        log("installing wrk from Debian")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, timeout=600)
    os.makedirs(PEERS, exist_ok=True)
    if not args.no_build:
        log("building Portcullis (release)")
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "portcullis"], cwd=ROOT, check=True, timeout=3600)
    if not args.no_build or not os.path.exists(DRIVER_FLOOR):
        subprocess.run(["cargo", "build", "--release", "-q", "--example", "driver_floor"], cwd=ROOT, check=True,
                       timeout=3600)
    build_hosts(always=not args.no_build)
    servers = [Portcullis("empty"), Portcullis("3-portal")]
    if os.environ.get("BENCH_DATABASE_URL"):
        servers += [Portcullis("empty", os.environ["BENCH_DATABASE_URL"]), Portcullis("3-portal", os.environ["BENCH_DATABASE_URL"])]
    servers = selected(servers, args.only)
    peers = [Scim2Server(), Scimmy(), ScimServerCrate("memory"), ScimServerCrate("sqlite"), DjangoScim2()]
    for peer in selected(peers, args.only):  # only the peers that will run get installed
        try:
            peer.install()
            servers.append(peer)
        except (OSError, subprocess.SubprocessError) as e:
            log(f"{peer.name} unavailable: {e}")
    return servers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated user counts")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each timed run")
    parser.add_argument("--quick", action="store_true", help="2,000 users, 1 repetition, 3 s runs")
    parser.add_argument("--no-build", action="store_true", help="do not build Portcullis (bench hosts only if missing)")
    parser.add_argument("--only", help="comma-separated parts of server names to run, e.g. 'scim-server crate,django'")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.reps, args.seconds = "2000", 1, 3
    sizes = [int(s) for s in args.sizes.split(",")]
    servers = setup(args)
    loads = [open("/proc/loadavg").read().split()[0]]
    results = {}  # (size, server) -> metric -> [values]
    with tempfile.TemporaryDirectory(prefix="portcullis-bench-") as work:
        for size in sizes:
            for rep in range(args.reps):
                for server in servers:  # ABAB: every server once per repetition, in turn
                    log(f"{size} users, repetition {rep + 1}/{args.reps}: {server.name}")
                    try:
                        got = measure(server, size, args.seconds, work)
                    except (RuntimeError, AssertionError, OSError, subprocess.SubprocessError) as e:
                        log(f"  {server.name} failed: {e}")
                        got = {}
                    for k, v in got.items():
                        results.setdefault((size, server.name), {}).setdefault(k, []).append(v)
                    loads.append(open("/proc/loadavg").read().split()[0])
        floors = {
            "echo": echo_floor(args.seconds, work),
            "sqlite FULL": sqlite_floor("FULL", args.seconds),
            "sqlite NORMAL": sqlite_floor("NORMAL", args.seconds),
            "driver": driver_floor(args.seconds),
        }
    report(results, floors, loads, args)


def report(results, floors, loads, args):
    def med(values):
        if not values:
            return None
        return statistics.median(values), min(values), max(values)

    def fmt(m):
        if m is None:
            return "—"
        mid, lo, hi = m
        if mid >= 100:
            text, rng = f"{mid:,.0f}", f"{lo:,.0f}–{hi:,.0f}"
        else:
            text, rng = f"{mid:.2f}", f"{lo:.2f}–{hi:.2f}"
        return text if lo == hi else f"{text} ({rng})"

    print(f"# Benchmark {time.strftime('%Y-%m-%d %H:%M')} on {os.uname().nodename}, {os.cpu_count()} cores; "
          f"{args.reps} repetitions, {args.seconds} s runs; loadavg {', '.join(loads)}")
    print(f"floors: actix echo {floors['echo'][1]:,.0f}/s at 1 connection, {floors['echo'][16]:,.0f}/s at 16; "
          f"SQLite insert+commit {floors['sqlite FULL']:,.0f}/s FULL, {floors['sqlite NORMAL']:,.0f}/s NORMAL; "
          f"through sea-orm/sqlx: SELECT 1 {floors['driver']['select_1']:,.0f}/s at 1 task, "
          f"{floors['driver']['select_16']:,.0f}/s at 16, insert+commit {floors['driver']['insert_commit']:,.0f}/s")
    metrics = ["create rps", "create rps c16", "filter rps c16", "filter rps c64", "filter p99 ms c64", "leaver PATCH rps", "pages/s",
               "import s", "group PATCH ms", "RSS MiB"]
    sizes = sorted({size for size, _ in results})
    for size in sizes:
        names = [name for s, name in results if s == size]
        print(f"\n## {size:,} users (median, min–max)\n")
        print("| metric | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for metric in metrics:
            row = [fmt(med(results[(size, n)].get(metric, []))) for n in names]
            print(f"| {metric} | " + " | ".join(row) + " |")
        ours = [n for n in names if n.startswith("Portcullis SQLite (empty")]
        if ours:
            base = results[(size, ours[0])]
            print(f"\nRatios, {ours[0]} / peer (higher is better for rates, lower for times and memory):\n")
            for n in names:
                if n == ours[0]:
                    continue
                parts = []
                for metric in metrics:
                    a, b = med(base.get(metric, [])), med(results[(size, n)].get(metric, []))
                    if a and b and b[0]:
                        parts.append(f"{metric} {a[0] / b[0]:.2f}×")
                print(f"- vs {n}: " + "; ".join(parts))
            create = med(base.get("create rps", []))
            echo1 = floors["echo"][1]
            if create:
                print(f"- vs floors: create {create[0] / floors['sqlite FULL']:.2f}× SQLite FULL insert loop, "
                      f"{create[0] / floors['driver']['insert_commit']:.2f}× the same through sea-orm/sqlx, "
                      f"{create[0] / echo1:.2f}× echo at 1 connection")
            c16 = med(base.get("create rps c16", []))
            if c16:
                print(f"- vs floors: create at 16 {c16[0] / floors['sqlite FULL']:.2f}× SQLite FULL insert loop")
            f16 = med(base.get("filter rps c16", []))
            if f16:
                print(f"- vs floors: filter at 16 {f16[0] / floors['echo'][16]:.2f}× echo at 16, "
                      f"{f16[0] / floors['driver']['select_16']:.2f}× SELECT 1 through sea-orm/sqlx at 16")


if __name__ == "__main__":
    main()
