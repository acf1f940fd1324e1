//! Configuration: defaults → portcullis.toml → PORTCULLIS_* environment; bad values fail
//! start-up with a message naming the setting.

use crate::cli::{portcullis, run};

fn fails_naming(mut command: std::process::Command, setting: &str) {
    let output = command.args(["migrate"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(setting),
        "expected `{setting}` in: {stderr}"
    );
}

#[test]
fn bad_environment_values_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let cases = [
        ("PORTCULLIS_LISTEN", "not-an-address", "listen"),
        ("PORTCULLIS_BODY_LIMIT_BYTES", "lots", "body_limit_bytes"),
        (
            "PORTCULLIS_RATE_LIMIT__PER_SECOND",
            "0",
            "rate_limit.per_second",
        ),
        ("PORTCULLIS_LOG__FORMAT", "xml", "format"),
        ("PORTCULLIS_PUBLIC_URL", "example.com", "public_url"),
        ("PORTCULLIS_METRICS_TOKEN", "short", "metrics_token"),
        ("PORTCULLIS_SWEEP_INTERVAL", "10ms", "sweep_interval"),
        ("PORTCULLIS_SWEEP_INTERVAL", "soon", "sweep_interval"),
        (
            "PORTCULLIS_WEBHOOK_ALLOW_PRIVATE",
            "maybe",
            "webhook_allow_private",
        ),
        ("PORTCULLIS_WEBHOOK_TIMEOUT", "5m", "webhook_timeout"),
        ("PORTCULLIS_WEBHOOK_RETRY_BASE", "2h", "webhook_retry_base"),
        ("PORTCULLIS_DATABASE_POOLER", "statement", "database_pooler"),
        // A SQLite file has no pooler in front of it.
        (
            "PORTCULLIS_DATABASE_POOLER",
            "transaction",
            "database_pooler",
        ),
    ];
    for (key, value, setting) in cases {
        let mut command = portcullis(dir.path(), &db);
        command.env(key, value);
        fails_naming(command, setting);
    }
    let mut command = portcullis(dir.path(), "mysql://nope");
    command.env("PORTCULLIS_DATABASE_URL", "mysql://nope");
    fails_naming(command, "database_url");
}

#[test]
fn the_file_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-file.db");
    let from_env = dir.path().join("from-env.db");
    std::fs::write(
        dir.path().join("portcullis.toml"),
        format!(
            "database_url = \"sqlite://{}?mode=rwc\"\n[rate_limit]\nper_second = 5\nburst = 5\n",
            from_file.display()
        ),
    )
    .unwrap();

    let mut file_only = portcullis(dir.path(), "");
    file_only.env_remove("PORTCULLIS_DATABASE_URL");
    run(file_only.args(["migrate"]));
    assert!(from_file.exists());

    let env_url = format!("sqlite://{}?mode=rwc", from_env.display());
    run(portcullis(dir.path(), &env_url).args(["migrate"]));
    assert!(from_env.exists());
}

#[test]
fn bad_file_values_and_unknown_keys_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (toml, setting) in [
        ("[rate_limit]\nper_second = -1\nburst = 1\n", "per_second"),
        ("databse_url = \"sqlite://x.db\"\n", "databse_url"),
        (
            "[[jwt.issuers]]\nissuer = \"https://i\"\naudience = [\"a\"]\npractice = \"acme\"\nscopes = [\"scim\"]\n",
            "jwt.issuers",
        ),
    ] {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, toml).unwrap();
        let mut command = portcullis(dir.path(), "");
        command.env_remove("PORTCULLIS_DATABASE_URL");
        command.arg("--config").arg(&config);
        fails_naming(command, setting);
    }
}
