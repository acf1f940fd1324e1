//! What the binary says: errors that name what to fix (the database that is missing, the port
//! that refused, the SQLite file, the configuration file), output that stays clean (no
//! migrator chatter, aligned columns, a closed pipe is not a crash), `migrate --status` and
//! `admin list`.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};

use crate::cli::{portcullis, run};
use crate::helpers::{Backend, storage_test};

fn failed(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected a failure; stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every line of a table starts each column at the same place as its heading.
fn assert_aligned(table: &[String], headings: &[&str]) {
    let starts: Vec<usize> = headings
        .iter()
        .map(|h| {
            table[0]
                .find(h)
                .unwrap_or_else(|| panic!("{h} in {table:?}"))
        })
        .collect();
    for row in &table[1..] {
        for (i, &start) in starts.iter().enumerate().skip(1) {
            let before = row.chars().nth(start - 1);
            let at = row.chars().nth(start);
            assert!(
                before == Some(' ') && at.is_some_and(|c| c != ' '),
                "column {} of {row:?} does not start under its heading:\n{}",
                headings[i],
                table.join("\n")
            );
        }
    }
}

#[test]
fn a_missing_postgres_database_is_named_with_how_to_create_it() {
    let Some(Backend::Postgres(server)) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = server.split('?').next().unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/portcullis_no_such_database");
    let said = failed(
        &portcullis(dir.path(), &url)
            .args(["practice", "list"])
            .output()
            .unwrap(),
    );
    assert!(
        said.contains("`portcullis_no_such_database` does not exist")
            && said.contains("createdb")
            && said.contains("127.0.0.1:5432"),
        "{said}"
    );
}

#[test]
fn a_refused_connection_names_host_and_port() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:hunter2@127.0.0.1:{port}/portcullis");
    let said = failed(
        &portcullis(dir.path(), &url)
            .args(["practice", "list"])
            .output()
            .unwrap(),
    );
    assert!(
        said.contains(&format!("127.0.0.1:{port}")) && said.contains("connection refused"),
        "{said}"
    );
    assert!(!said.contains("hunter2"), "no password in messages: {said}");
}

#[test]
fn a_missing_sqlite_file_is_named_with_the_mode_that_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nothing-here.db");
    let said = failed(
        &portcullis(dir.path(), &format!("sqlite://{}", file.display()))
            .args(["practice", "list"])
            .output()
            .unwrap(),
    );
    assert!(
        said.contains(&file.display().to_string()) && said.contains("?mode=rwc"),
        "{said}"
    );
    let missing_dir = dir.path().join("no-dir").join("p.db");
    let said = failed(
        &portcullis(
            dir.path(),
            &format!("sqlite://{}?mode=rwc", missing_dir.display()),
        )
        .args(["practice", "list"])
        .output()
        .unwrap(),
    );
    assert!(
        said.contains("no-dir") && said.contains("does not exist"),
        "{said}"
    );
}

#[test]
fn a_configuration_file_named_explicitly_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let said = failed(
        &portcullis(dir.path(), &db)
            .args(["--config", "pc.tmol", "practice", "list"])
            .output()
            .unwrap(),
    );
    assert!(
        said.contains("pc.tmol") && said.contains("does not exist"),
        "{said}"
    );
    let said = failed(
        &portcullis(dir.path(), &db)
            .env("PORTCULLIS_CONFIG", "elsewhere.toml")
            .args(["practice", "list"])
            .output()
            .unwrap(),
    );
    assert!(said.contains("elsewhere.toml"), "{said}");
    // Without one, `portcullis.toml` is optional.
    run(portcullis(dir.path(), &db).args(["practice", "list"]));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = portcullis(dir.path(), "sqlite::memory:")
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -3`: read three lines, then close the pipe.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    for _ in 0..3 {
        out.read_line(&mut first).unwrap();
    }
    assert!(first.starts_with("openapi:"), "{first}");
    drop(out);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}: {stderr}", output.status);
    assert!(stderr.is_empty(), "{stderr}");
}

storage_test!(
    /// Commands print their result and nothing else: no migration progress on stderr, and
    /// tables whose columns line up however long a name is.
    async fn commands_print_clean_aligned_tables(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let database = backend.fresh_database(dir.path()).await;
        let db = database.url.as_str();

        let status = lines(&run(
            portcullis(dir.path(), db).args(["migrate", "--status"])
        ));
        assert!(status[0].starts_with("MIGRATION"), "{status:?}");
        assert!(
            status[1..status.len() - 1]
                .iter()
                .all(|l| l.ends_with("pending")),
            "nothing is applied on a new database: {status:?}"
        );
        assert!(status.last().unwrap().contains("portcullis migrate"));

        let created = run(portcullis(dir.path(), db).args([
            "practice",
            "create",
            "--slug",
            "a-practice-with-a-long-slug",
            "--name",
            "Ärztehaus am Stadtpark, Internal Medicine and Family Practice",
        ]));
        let stderr = String::from_utf8_lossy(&created.stderr);
        assert!(
            !stderr.contains("INFO") && !stderr.contains("igration"),
            "no migrator chatter: {stderr}"
        );
        run(portcullis(dir.path(), db).args([
            "practice",
            "create",
            "--slug",
            "bx",
            "--name",
            "B",
            "--timezone",
            "UTC",
        ]));
        let practices = lines(&run(portcullis(dir.path(), db).args(["practice", "list"])));
        assert_eq!(practices.len(), 3, "{practices:?}");
        assert_aligned(&practices, &["SLUG", "NAME", "TIME ZONE", "BUSINESS HOURS"]);

        let status = lines(&run(
            portcullis(dir.path(), db).args(["migrate", "--status"])
        ));
        assert!(
            status[1..status.len() - 1]
                .iter()
                .all(|l| l.ends_with("applied")),
            "{status:?}"
        );
        assert_eq!(status.last().unwrap(), "the database is up to date");

        for (email, name, role) in [
            ("dana@acme.example", "Dana Whitfield", "portal_admin"),
            ("vic@acme.example", "Vic", "manager"),
        ] {
            run(portcullis(dir.path(), db).args([
                "admin",
                "create",
                "--practice",
                "bx",
                "--email",
                email,
                "--name",
                name,
                "--role",
                role,
            ]));
        }
        run(portcullis(dir.path(), db).args([
            "admin",
            "deactivate",
            "--email",
            "vic@acme.example",
        ]));
        let admins = lines(&run(portcullis(dir.path(), db).args([
            "admin",
            "list",
            "--practice",
            "bx",
        ])));
        assert_eq!(admins.len(), 3, "{admins:?}");
        assert_aligned(
            &admins,
            &["EMAIL", "NAME", "ROLE", "STATUS", "MEMBER SINCE"],
        );
        assert!(admins[1].contains("dana@acme.example") && admins[1].contains("portal_admin"));
        assert!(admins[2].contains("vic@acme.example") && admins[2].contains("deactivated"));

        run(portcullis(dir.path(), db).args([
            "token",
            "create",
            "--practice",
            "bx",
            "--scope",
            "scim",
            "--name",
            "okta",
        ]));
        run(portcullis(dir.path(), db).args([
            "token",
            "create",
            "--practice",
            "bx",
            "--admin",
            "dana@acme.example",
        ]));
        let tokens = lines(&run(portcullis(dir.path(), db).args([
            "token",
            "list",
            "--practice",
            "bx",
        ])));
        assert_eq!(tokens.len(), 3, "{tokens:?}");
        assert_aligned(
            &tokens,
            &["ID", "NAME", "SCOPES", "STATUS", "CREATED", "LAST USED"],
        );
    }
);
