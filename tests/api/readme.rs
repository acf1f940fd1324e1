//! The README's walkthrough, run as a user would paste it, so it cannot drift from the product:
//! every block fenced `sh` from "## The first five minutes" up to "## Commands", in order, as
//! one bash script, against a real `portcullis serve` on each backend.
//!
//! What the test changes, and only this: `cargo run --release [-q] -- ARGS` runs the binary
//! under test (the same program, without a release build); `127.0.0.1:8080` is the test
//! server's address, and the drill's `127.0.0.1:8081` and `9999` are free ports. curl fails on
//! any HTTP error status, and the script stops at the first failing command.

use std::process::{Command, Stdio};

use crate::cli::{Served, portcullis};
use crate::helpers::storage_test;

const README: &str = include_str!("../../README.md");

/// The `sh` blocks of the walkthrough, joined in order.
fn walkthrough(readme: &str) -> String {
    let start = readme
        .find("## The first five minutes")
        .expect("the README has its first five minutes");
    let end = readme
        .find("## Commands")
        .expect("the README has its Commands");
    let mut script = String::new();
    let mut in_block = false;
    for line in readme[start..end].lines() {
        match (in_block, line.trim_end()) {
            (false, "```sh") => in_block = true,
            (true, "```") => {
                in_block = false;
                script.push('\n');
            }
            (true, line) => {
                script.push_str(line);
                script.push('\n');
            }
            _ => {}
        }
    }
    assert!(!in_block, "an unclosed ```sh block");
    script
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Before the README's commands: stop at the first failure; `cargo run … --` is the binary;
/// curl fails on HTTP errors; background jobs (the drill's service and receiver) end with the
/// script.
const PRELUDE: &str = r#"set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
cargo() {
    [ "$1" = run ] || { echo "the walkthrough only uses cargo run, not: cargo $*" >&2; return 1; }
    while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
    [ $# -gt 0 ] && shift
    # In a subshell (a background job, a command substitution) the binary replaces it, so
    # killing the job kills the service.
    if [ "$BASH_SUBSHELL" -gt 0 ]; then exec "$WALKTHROUGH_BIN" "$@"; fi
    "$WALKTHROUGH_BIN" "$@"
}
curl() {
    local arg
    for arg in "$@"; do
        case "$arg" in -f|-sf|-fs|--fail) command curl "$@"; return;; esac
    done
    command curl --fail-with-body --show-error "$@"
    echo
}
"#;

/// After them: the drill's receiver prints the overdue alert within a few seconds.
const EPILOGUE: &str = r#"
for _ in $(seq 1 150); do
    grep -q '"type":"task.overdue"' "$WALKTHROUGH_OUT" && exit 0
    sleep 0.2
done
echo "the drill's receiver got no task.overdue event" >&2
exit 1
"#;

storage_test!(
    /// The README from "The first five minutes" to the drill, pasted into a shell.
    async fn the_readme_walkthrough_runs_as_written(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let database = backend.fresh_database(dir.path()).await;
        let db = database.url.as_str();
        let served = Served::start(portcullis(dir.path(), db));
        let (drill, receiver) = (free_port(), free_port());
        let script = walkthrough(README)
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", served.port))
            .replace("127.0.0.1:8081", &format!("127.0.0.1:{drill}"))
            .replace("9999", &receiver.to_string());
        let path = dir.path().join("walkthrough.sh");
        std::fs::write(&path, format!("{PRELUDE}\n{script}\n{EPILOGUE}")).unwrap();
        let out = dir.path().join("walkthrough.out");

        // The same clean environment as every CLI test, and the server's database.
        let mut bash = Command::new("timeout");
        bash.arg("180")
            .arg("bash")
            .arg(&path)
            .current_dir(dir.path());
        for (key, _) in std::env::vars() {
            if key.starts_with("PORTCULLIS_") || key == "RUST_LOG" {
                bash.env_remove(key);
            }
        }
        let status = bash
            .env("PORTCULLIS_DATABASE_URL", db)
            .env("WALKTHROUGH_BIN", env!("CARGO_BIN_EXE_portcullis"))
            .env("WALKTHROUGH_OUT", &out)
            .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
            .wait_with_output()
            .unwrap();
        let printed = std::fs::read_to_string(&out).unwrap();
        let stderr = String::from_utf8_lossy(&status.stderr);
        assert!(
            status.status.success(),
            "the walkthrough failed ({}):\n--- stdout\n{printed}\n--- stderr\n{stderr}",
            status.status
        );

        // What the README says the reader sees, seen.
        for expected in [
            r#""role":"portal_admin""#, // whoami: Dana's own token
            r#""state":"verified""#,    // the second look, by Vic
            r#""verified_by":"admin Vic Okafor <vic@acme.example> (portal_admin)""#,
            "export verified",          // the offline check of the audit export
            r#""type":"task.overdue""#, // the drill's alert reached the receiver
        ] {
            assert!(printed.contains(expected), "no {expected} in:\n{printed}");
        }
        drop(served);
    }
);

#[test]
fn the_walkthrough_is_every_sh_block_in_order() {
    let script = walkthrough(README);
    assert!(script.contains("practice create --slug acme"));
    assert!(script.contains("TASK=$("), "the queue section sets $TASK");
    assert!(
        !script.contains("hooks.slack.com"),
        "the Slack example needs the internet"
    );
    let first = script.find("practice create --slug acme").unwrap();
    let drill = script.find("practice create --slug drill").unwrap();
    assert!(first < drill);
}
