#!/usr/bin/env bash
# The admin API (/api/v1) against its own openapi.yaml, with schemathesis (PyPI, pinned in
# requirements.txt beside this file): a fresh SQLite database with a practice, two portals, a
# policy and a few people (so lists, tasks, reports and the audit trail are not empty), the
# server on a free port, and a named portal administrator's token. Checks: no 5xx
# (not_a_server_error) and every response matching its declared schema
# (response_schema_conformance). Fails on any finding; stops the server it started.
#
#   bash tests/schemathesis/run.sh                  # what CI runs
#   SCHEMATHESIS_MAX_EXAMPLES=200 SCHEMATHESIS_SEED=7 bash tests/schemathesis/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/tests/schemathesis

MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
# A fixed seed by default: CI replays the same cases; change it to explore further.
SEED=${SCHEMATHESIS_SEED:-1}
VENV=$ROOT/.venv-schemathesis
PY=$VENV/bin/python
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/debug/portcullis
# Logs and the report outlive the run (under the git-ignored target directory).
LOG_DIR=$TARGET/schemathesis
WORK=$(mktemp -d "${TMPDIR:-/tmp}/schemathesis.XXXXXX")
SERVER_PID=

cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PINNED=$(sed -n 's/^schemathesis==//p' "$HERE/requirements.txt")
echo "== schemathesis $PINNED (venv ${VENV#"$ROOT"/})"
if ! "$PY" -c "import importlib.metadata as m; assert m.version('schemathesis') == '$PINNED'" 2>/dev/null; then
    [ -x "$PY" ] || timeout 120 python3 -m venv "$VENV"
    timeout 600 "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
fi

echo "== cargo build"
timeout 1800 cargo build -q --bin portcullis

mkdir -p "$LOG_DIR"
LOG=$LOG_DIR/server.log
: >"$LOG"
export PORTCULLIS_DATABASE_URL="sqlite://$WORK/portcullis.db?mode=rwc"
cli() { (cd "$WORK" && timeout 60 "$BIN" "$@") 2>>"$LOG"; }

cli practice create --slug st --name "Schemathesis Practice" >>"$LOG"
cli admin create --practice st --email dana@st.example --name "Dana Whitfield" --role portal_admin >>"$LOG"
ADMIN_TOKEN=$(cli token create --practice st --admin dana@st.example | tail -n 1)
SCIM_TOKEN=$(cli token create --practice st --scope scim --name idp | tail -n 1)
# `DELETE /tokens/{id}` revokes this one, never the token the run works with
# (`pcl_<id>_<secret>`).
REVOCABLE_TOKEN=$(cli token create --practice st --scope admin:read --name revocable | tail -n 1)
ST_REVOCABLE_TOKEN_ID=$(cut -d_ -f2 <<<"$REVOCABLE_TOKEN")
export ST_REVOCABLE_TOKEN_ID

# Port 0: the kernel picks a free port, which the "listening" log line reports. Generated
# requests come fast, and the alert sweeper has nothing to do here (no webhook is called).
(cd "$WORK" && PORTCULLIS_LISTEN=127.0.0.1:0 PORTCULLIS_LOG__FORMAT=json \
    PORTCULLIS_RATE_LIMIT__PER_SECOND=100000 PORTCULLIS_RATE_LIMIT__BURST=100000 \
    PORTCULLIS_SWEEP_INTERVAL=1h exec "$BIN" serve) >>"$LOG" 2>&1 &
SERVER_PID=$!
PORT=
for _ in $(seq 1 300); do
    PORT=$(grep -m 1 '"message":"listening"' "$LOG" | sed -n 's/.*"port":\([0-9][0-9]*\).*/\1/p' || true)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    tail -n 20 "$LOG" >&2
    echo "error: the server did not start" >&2
    exit 1
fi
BASE=http://127.0.0.1:$PORT

# Some data, so responses have bodies worth checking: portals, a policy, joiners, a leaver
# with an account (a deprovision task), a webhook, and their audit records. It prints the ids
# that schemathesis.toml gives the `{id}` routes, so they reach more than a 404.
IDS=$(BASE=$BASE ADMIN_TOKEN=$ADMIN_TOKEN SCIM_TOKEN=$SCIM_TOKEN "$PY" - <<'PY'
import json, os, urllib.request

def call(method, path, body, token):
    request = urllib.request.Request(os.environ["BASE"] + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response) if response.status != 204 else None

admin, scim = os.environ["ADMIN_TOKEN"], os.environ["SCIM_TOKEN"]
call("POST", "/api/v1/practice-portals", {"portal": "availity-essentials", "org_scope": {"tin": "123456789"}}, admin)
call("POST", "/api/v1/practice-portals", {"portal": "noridian-nmp"}, admin)
call("PUT", "/api/v1/policy", {"rules": [
    {"name": "Front desk", "when": {"title": ["Front Desk"]},
     "grant": {"availity-essentials": ["eligibility-benefits"], "noridian-nmp": ["eligibility"]}}],
    "third_party": {"employeeType": ["Vendor"]}}, admin)
ids = []
for i in range(5):
    user = call("POST", "/scim/v2/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"person{i}@st.example", "title": "Front Desk", "active": True}, scim)
    ids.append(user["id"])
call("POST", f"/api/v1/people/{ids[0]}/accounts",
     {"portal": "availity-essentials", "username": "person0", "roles": ["eligibility-benefits"]}, admin)
call("PATCH", f"/scim/v2/Users/{ids[0]}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{"op": "replace", "value": {"active": False}}]}, scim)
tasks = call("GET", f"/api/v1/tasks?person={ids[1]}", None, admin)["items"]
hook = call("POST", "/api/v1/webhooks", {"name": "st", "url": "https://hooks.example.com/st",
            "event_types": ["task.*"]}, admin)
print(tasks[0]["id"], ids[1], hook["id"])
PY
)
read -r ST_TASK_ID ST_PERSON_ID ST_WEBHOOK_ID <<<"$IDS"
export ST_TASK_ID ST_PERSON_ID ST_WEBHOOK_ID

echo "== schemathesis against $BASE/api/v1 ($MAX_EXAMPLES examples per operation, seed $SEED)"
rc=0
# The token goes through the environment (schemathesis.toml reads it), not argv.
ST_TOKEN=$ADMIN_TOKEN timeout 1200 "$VENV/bin/st" --config-file "$HERE/schemathesis.toml" run \
    "$ROOT/openapi.yaml" --url "$BASE" \
    --include-path-regex '^/api/v1/' \
    --checks "${SCHEMATHESIS_CHECKS:-not_a_server_error,response_schema_conformance}" \
    --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 ${SCHEMATHESIS_ARGS:-} \
    --report junit --report-dir "$LOG_DIR" || rc=$?
if [ "$rc" != 0 ]; then
    echo "schemathesis failed (status $rc); server log: ${LOG#"$ROOT"/}" >&2
    grep -c '"level":"ERROR"' "$LOG" >&2 || true
fi
exit "$rc"
