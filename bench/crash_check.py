#!/usr/bin/env python3
"""kill -9 under SCIM load: does every acknowledged write survive?

    python3 bench/crash_check.py                        # SQLite and PostgreSQL, 3 kills each
    python3 bench/crash_check.py --backend sqlite --rounds 5
    python3 bench/crash_check.py --release --no-build   # an already built release binary

For each backend: a fresh database (a SQLite file in a temporary directory; on PostgreSQL a new
database made with `createdb` on --pg-url's server, dropped at the end), a practice with two
portals and a policy granting everyone a role in each, a named portal administrator's token
for the admin API and a `scim` token for the load. Then, per round: start the server, drive
concurrent SCIM creates and leavers (create, record an account in each portal, PATCH
active=false) from --workers threads, `kill -9` the server after a random 1.5 to 4 s,
restart it on the same database and check, for every write ever acknowledged (2xx):

  - every created user is there, with its userName and the last acknowledged `active`;
  - every leaver whose PATCH was acknowledged has an open deprovision task in every portal
    where an account was acknowledged for them;
  - `portcullis audit verify` passes for the practice (the hash chain is whole).

A request cut off by the kill is not acknowledged: either outcome is fine for it. Exits 1 on any
loss, naming it. Runs the debug binary by default (`cargo build` first, unless --no-build).
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
PORTALS = ["availity-essentials", "noridian-nmp"]
PRACTICE = "crash"
ADMIN_EMAIL = "ops@crash.example"
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cut(Exception):
    """The connection broke before an answer arrived: the write is not acknowledged."""


class Client:
    """One keep-alive HTTP/1.1 connection. Never retries: a retry could turn an unacknowledged
    write into an acknowledged one and hide a loss."""

    def __init__(self, port, token, timeout=30):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        data = json.dumps(body) if body is not None else None
        try:
            self.conn.request(method, path, data, headers)
            response = self.conn.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise Cut(str(e)) from e
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = text.decode(errors="replace")
        return response.status, payload


class Ledger:
    """Every acknowledged write, shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}  # id -> {"userName", "active" (None: a PATCH was cut, either is fine)}
        self.accounts = {}  # id -> set of portals whose account record was acknowledged
        self.leavers = {}  # id -> portals with an acknowledged account before the PATCH
        self.acked = 0
        self.cut = 0
        self.cut_kinds = {}  # which request each thread had in flight when the kill came
        self.refused = {}  # "METHOD status" -> count (non-2xx answers: not writes, not losses)

    def count_cut(self, what):
        with self.lock:
            self.cut += 1
            self.cut_kinds[what] = self.cut_kinds.get(what, 0) + 1

    def count_refusal(self, what, status):
        with self.lock:
            key = f"{what} {status}"
            self.refused[key] = self.refused.get(key, 0) + 1


class Backend:
    def __init__(self, name, args, work):
        self.name, self.args, self.work = name, args, work
        self.database = None
        if name == "sqlite":
            self.url = f"sqlite://{os.path.join(work, 'portcullis.db')}?mode=rwc"
        else:
            self.database = f"crash_{os.getpid()}_{int(time.time())}"
            pg = urllib.parse.urlsplit(args.pg_url)
            command = ["createdb", "-h", pg.hostname or "127.0.0.1", "-p", str(pg.port or 5432),
                       "-U", pg.username or "postgres", self.database]
            subprocess.run(command, check=True, timeout=60)
            self.url = urllib.parse.urlunsplit(pg._replace(path="/" + self.database))
        self.binary = os.path.join(TARGET, "release" if args.release else "debug", "portcullis")
        self.proc = None
        self.port = None
        self.log_path = os.path.join(work, f"{name}.log")

    def env(self):
        env = dict(os.environ)
        env.update({
            "PORTCULLIS_DATABASE_URL": self.url,
            "PORTCULLIS_LOG__LEVEL": "warn",
            "PORTCULLIS_RATE_LIMIT__PER_SECOND": "1000000",
            "PORTCULLIS_RATE_LIMIT__BURST": "1000000",
        })
        return env

    def cli(self, *args, check=True):
        # From the work directory, so a developer's ./portcullis.toml changes nothing.
        done = subprocess.run([self.binary, *args], env=self.env(), cwd=self.work, capture_output=True,
                              text=True, timeout=300)
        if check and done.returncode != 0:
            raise RuntimeError(f"portcullis {' '.join(args)}: {done.stderr.strip()[-2000:]}")
        return done

    def start(self):
        self.port = free_port()
        env = self.env()
        env["PORTCULLIS_LISTEN"] = f"127.0.0.1:{self.port}"
        logfile = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.binary, "serve"], env=env, cwd=self.work,
                                     stdout=subprocess.DEVNULL, stderr=logfile)
        logfile.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited at start (status {self.proc.returncode}); see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready within 120 s; see {self.log_path}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def drop(self):
        if self.database:
            pg = urllib.parse.urlsplit(self.args.pg_url)
            subprocess.run(["dropdb", "--force", "-h", pg.hostname or "127.0.0.1", "-p", str(pg.port or 5432),
                            "-U", pg.username or "postgres", self.database], check=False, timeout=60)


def set_up(backend):
    """Practice, administrator, tokens, portals and a policy: leavers get deprovision tasks."""
    backend.cli("migrate")
    backend.cli("practice", "create", "--slug", PRACTICE, "--name", "Crash Check Practice")
    backend.cli("admin", "create", "--practice", PRACTICE, "--email", ADMIN_EMAIL, "--name", "Crash Check",
                "--role", "portal_admin")
    admin = backend.cli("token", "create", "--practice", PRACTICE, "--admin", ADMIN_EMAIL).stdout.strip().splitlines()[-1]
    scim = backend.cli("token", "create", "--practice", PRACTICE, "--scope", "scim", "--name", "idp").stdout.strip().splitlines()[-1]
    backend.start()
    api = Client(backend.port, admin)
    status, catalog = api.call("GET", "/api/v1/portals")
    assert status == 200, (status, catalog)
    grants = {}
    for portal in PORTALS:
        status, body = api.call("POST", "/api/v1/practice-portals", {"portal": portal})
        if status != 201:
            raise RuntimeError(f"adding {portal}: {status} {body}")
        roles = next(p for p in catalog["items"] if p["slug"] == portal)["roles"]
        grants[portal] = [next(r["slug"] for r in roles if not r.get("is_admin"))]
    status, body = api.call("PUT", "/api/v1/policy", {"rules": [{"name": "Everyone", "when": {}, "grant": grants}]})
    if status != 200:
        raise RuntimeError(f"policy: {status} {body}")
    return admin, scim, grants


def worker(port, admin, scim, grants, ledger, stop, names, rng):
    """Creates people; every second one becomes a leaver with an account in each portal."""
    idp, api = Client(port, scim, timeout=60), Client(port, admin, timeout=60)
    while not stop.is_set():
        user_name = next(names)
        try:
            status, body = idp.call("POST", "/scim/v2/Users", {
                "schemas": [SCIM_USER], "userName": user_name, "title": "Front Desk", "active": True,
                "name": {"givenName": "Crash", "familyName": user_name.split("@")[0]}})
        except Cut:
            ledger.count_cut("create")
            return
        if status != 201:
            ledger.count_refusal("create", status)
            continue
        uid = body["id"]
        with ledger.lock:
            ledger.users[uid] = {"userName": user_name, "active": True}
            ledger.acked += 1
        if rng.random() < 0.5:
            continue
        portals = set()
        for portal, roles in grants.items():
            try:
                status, _ = api.call("POST", f"/api/v1/people/{uid}/accounts",
                                     {"portal": portal, "username": user_name.split("@")[0], "roles": roles})
            except Cut:
                ledger.count_cut("account")
                return
            if status // 100 != 2:
                ledger.count_refusal("account", status)
                continue
            portals.add(portal)
            with ledger.lock:
                ledger.accounts.setdefault(uid, set()).add(portal)
                ledger.acked += 1
        try:
            status, _ = idp.call("PATCH", f"/scim/v2/Users/{uid}", {
                "schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]})
        except Cut:
            with ledger.lock:
                ledger.users[uid]["active"] = None  # either state is fine: never answered
            ledger.count_cut("leaver")
            return
        if status != 200:
            ledger.count_refusal("leaver", status)
            continue
        with ledger.lock:
            ledger.users[uid]["active"] = False
            ledger.leavers[uid] = portals
            ledger.acked += 1


def load_and_kill(backend, admin, scim, grants, ledger, args, round_no, rng):
    stop = threading.Event()
    counter = iter(range(10**9))
    lock = threading.Lock()

    def names():
        while True:
            with lock:
                i = next(counter)
            yield f"r{round_no}-u{i:06d}@crash.example"

    shared = names()
    threads = [threading.Thread(target=worker, daemon=True,
                                args=(backend.port, admin, scim, grants, ledger, stop, shared,
                                      random.Random(rng.random())))
               for _ in range(args.workers)]
    for t in threads:
        t.start()
    delay = rng.uniform(args.kill_min, args.kill_max)
    time.sleep(delay)
    backend.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=120)
    return delay


def read_back(backend, admin, scim):
    """Everyone the server knows (id -> userName, active) and its open deprovision tasks."""
    idp = Client(backend.port, scim, timeout=120)
    users, start = {}, 1
    while True:
        status, page = idp.call("GET", f"/scim/v2/Users?startIndex={start}&count=1000&attributes=userName,active")
        if status != 200:
            raise RuntimeError(f"listing users: {status} {page}")
        for u in page.get("Resources", []):
            users[u["id"]] = (u["userName"], u.get("active"))
        start += len(page.get("Resources", []))
        if not page.get("Resources") or start > page["totalResults"]:
            break
    api = Client(backend.port, admin, timeout=120)
    tasks, cursor = {}, None
    while True:
        query = "kind=deprovision&state=open&limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, page = api.call("GET", f"/api/v1/tasks?{query}")
        if status != 200:
            raise RuntimeError(f"listing tasks: {status} {page}")
        for t in page["items"]:
            tasks.setdefault(t["person_id"], set()).add(t["portal"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return users, tasks


def check(backend, admin, scim, ledger):
    """Every loss, in words (an empty list when nothing acknowledged is missing)."""
    users, tasks = read_back(backend, admin, scim)
    losses = []
    for uid, want in ledger.users.items():
        got = users.get(uid)
        if got is None:
            losses.append(f"user {uid} ({want['userName']}) acknowledged but missing")
        elif got[0] != want["userName"]:
            losses.append(f"user {uid}: userName {got[0]!r}, acknowledged {want['userName']!r}")
        elif want["active"] is not None and got[1] != want["active"]:
            losses.append(f"user {uid}: active={got[1]}, acknowledged active={want['active']}")
    for uid, portals in ledger.leavers.items():
        missing = portals - tasks.get(uid, set())
        if missing:
            losses.append(f"leaver {uid}: no open deprovision task in {sorted(missing)}")
    verify = backend.cli("audit", "verify", "--practice", PRACTICE, check=False)
    if verify.returncode != 0:
        losses.append(f"audit verify failed: {(verify.stdout + verify.stderr).strip()[-500:]}")
    return losses, len(users), sum(len(p) for p in tasks.values()), verify.stdout.strip().splitlines()[-1:] or [""]


def run_backend(name, args, rng):
    work = tempfile.mkdtemp(prefix=f"crash-{name}-")
    backend = Backend(name, args, work)
    ledger = Ledger()
    failed = False
    try:
        admin, scim, grants = set_up(backend)
        for round_no in range(1, args.rounds + 1):
            before, cut_before = ledger.acked, ledger.cut
            ledger.cut_kinds = {}
            delay = load_and_kill(backend, admin, scim, grants, ledger, args, round_no, rng)
            backend.start()
            losses, seen, open_deprovisions, head = check(backend, admin, scim, ledger)
            log(f"{name} round {round_no}: killed after {delay:.1f} s; {ledger.acked - before} writes "
                f"acknowledged this round ({ledger.acked} in all: {len(ledger.users)} users, "
                f"{len(ledger.leavers)} leavers), {ledger.cut - cut_before} requests cut by the kill "
                f"{ledger.cut_kinds}; after restart "
                f"{seen} users, {open_deprovisions} open deprovision tasks; audit: {head[0]}; "
                f"{'LOSS' if losses else 'nothing lost'}")
            for loss in losses[:20]:
                log(f"  {loss}")
            if losses:
                failed = True
                break
        if ledger.refused:
            log(f"{name}: non-2xx answers during load (not writes): {ledger.refused}")
        if not ledger.leavers:
            log(f"{name}: no leaver was acknowledged: nothing checked the tasks (raise --kill-min)")
            failed = True
    finally:
        backend.stop()
        if not failed or not args.keep:
            backend.drop()
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"{name}: kept {work} and database {backend.database or '(SQLite file)'}")
    return not failed, ledger


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3, help="kill -9 and restart this many times")
    parser.add_argument("--workers", type=int, default=16, help="concurrent load threads")
    parser.add_argument("--kill-min", type=float, default=1.5, help="least seconds of load before the kill")
    parser.add_argument("--kill-max", type=float, default=4.0, help="most seconds of load before the kill")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="PostgreSQL server to create the fresh database on")
    parser.add_argument("--release", action="store_true", help="the release binary instead of debug")
    parser.add_argument("--no-build", action="store_true", help="use the binary as built")
    parser.add_argument("--seed", type=int, default=None, help="random seed (kill times, leaver choice)")
    parser.add_argument("--keep", action="store_true", help="keep the database of a failed run")
    args = parser.parse_args()

    if not args.no_build:
        command = ["cargo", "build", "-q", "--bin", "portcullis"] + (["--release"] if args.release else [])
        subprocess.run(command, cwd=ROOT, check=True)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    log(f"seed {seed}")
    rng = random.Random(seed)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    ok = True
    for name in backends:
        passed, _ = run_backend(name, args, rng)
        ok = ok and passed
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
