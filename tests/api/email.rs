//! E-mail alerts through a real SMTP server on 127.0.0.1 (aiosmtpd, `tests/fixtures/smtp`):
//! the people an alert names get one message per alert, in plain text and HTML with a link to
//! the console, after the server first refuses and then accepts; digests too. Settings are
//! checked, and the channel is changed only through its own settings.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp")
}

/// Installs aiosmtpd (pinned in `requirements.txt`) into the fixture's virtualenv, once per
/// checkout.
fn install_server_package() -> std::path::PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = fixture_dir();
    let python = dir.join(".venv/bin/python");
    let installed = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        let made = Command::new("python3")
            .args(["-m", "venv", ".venv"])
            .current_dir(&dir)
            .status()
            .expect("the e-mail tests need python3 with venv (apt-get install -y python3-venv)");
        assert!(
            made.success(),
            "python3 -m venv in {} failed",
            dir.display()
        );
        let pip = Command::new(dir.join(".venv/bin/pip"))
            .args(["install", "--quiet", "-r", "requirements.txt"])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(pip.success(), "pip install aiosmtpd failed");
    }
    python
}

/// One message the server accepted, as it arrived.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub to: Vec<String>,
    pub data: String,
    pub authenticated: bool,
}

impl Mail {
    fn header(&self, name: &str) -> String {
        let unfolded = self.data.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    }

    fn subject(&self) -> String {
        self.header("Subject")
    }
}

/// A running SMTP server; stopped on drop.
pub(crate) struct SmtpServer {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    refusals: Arc<Mutex<usize>>,
}

impl SmtpServer {
    /// Starts a server that refuses the first `refuse` messages (451) and, given a `user`,
    /// requires AUTH as `user` with `password`.
    pub(crate) fn start(refuse: usize, user: &str, password: &str) -> Self {
        let python = install_server_package();
        let mut command = Command::new(python);
        command
            .arg("server.py")
            .args(["--refuse", &refuse.to_string()]);
        if !user.is_empty() {
            command.args(["--user", user, "--password", password]);
        }
        let mut child = command
            .current_dir(fixture_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs the test SMTP server");
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = loop {
            let line = lines.next().expect("the SMTP server stopped").unwrap();
            if let Some(port) = line.strip_prefix("port ") {
                break port.parse().unwrap();
            }
        };
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refusals = Arc::new(Mutex::new(0));
        let (kept, refused) = (mails.clone(), refusals.clone());
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line == "refused" {
                    *refused.lock().unwrap() += 1;
                } else if let Some(message) = line.strip_prefix("message ") {
                    let message: Value = serde_json::from_str(message).unwrap();
                    kept.lock().unwrap().push(Mail {
                        to: serde_json::from_value(message["to"].clone()).unwrap(),
                        data: message["data"].as_str().unwrap().to_owned(),
                        authenticated: message["authenticated"].as_bool().unwrap_or(false),
                    });
                }
            }
        });
        Self {
            child,
            stdin,
            port,
            mails,
            refusals,
        }
    }

    /// What has arrived so far, once `n` messages have (or after 10 seconds).
    pub(crate) fn mails(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + StdDuration::from_secs(10);
        while self.mails.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(StdDuration::from_millis(20));
        }
        self.mails.lock().unwrap().clone()
    }

    fn refusals(&self) -> usize {
        *self.refusals.lock().unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The mail server a test app sends through: on loopback, no encryption, no AUTH (the test
/// app runs in this process, whose environment a test cannot safely change; AUTH with the
/// practice's password variable is tested against a served process below).
fn settings(port: u16) -> Value {
    json!({
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "Portcullis <alerts@acme.example>",
    })
}

storage_test!(
    /// The ladder's e-mails go to the people each step names, once per alert however often the
    /// server refuses first; the daily digest goes to the practice's administrators.
    async fn alerts_arrive_by_email_once_after_a_refusal(backend: Backend) {
        // First the server: installing it blocks this thread, and the app's idle
        // connections must not go stale meanwhile.
        let smtp = SmtpServer::start(1, "", "");
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, channel) = p.put("/api/v1/email-settings", settings(smtp.port)).await;
        assert_eq!(status, 200, "{channel}");
        assert_eq!(
            channel["event_types"],
            json!(["task.*", "review.*", "digest.daily"])
        );
        let channel_id = channel["id"].as_str().unwrap().to_owned();
        let policy = json!({"reminders_at_percent": [50],
            "chain": ["assignee", "backup@acme.example"], "interval": "1h"});
        let (status, body) = p.put("/api/v1/escalation-policy", policy).await;
        assert_eq!(status, 200, "{body}");

        let (_, task) = p.leaver("dana@acme.example").await;

        // The reminder: the server refuses it once, then takes it on the retry.
        p.app.clock.advance(Duration::minutes(31));
        p.app.sweep().await;
        p.app.deliver().await;
        assert_eq!(smtp.refusals(), 1);
        assert!(smtp.mails(0).is_empty());
        let (_, deliveries) = p
            .get(&format!("/api/v1/webhooks/{channel_id}/deliveries"))
            .await;
        let first = &deliveries["items"][0];
        assert_eq!(first["state"], "pending", "{deliveries}");
        assert_eq!(first["history"][0]["status"], 451, "{deliveries}");
        p.app.clock.advance(Duration::minutes(2));
        p.app.deliver().await;
        p.app.sweep().await;
        p.app.deliver().await;
        let mails = smtp.mails(1);
        assert_eq!(mails.len(), 1, "one message per alert: {mails:?}");
        let reminder = &mails[0];
        let mut to = reminder.to.clone();
        to.sort();
        assert_eq!(to, ["pat@acme.example", "vic@acme.example"]);
        assert!(
            reminder
                .subject()
                .starts_with("[acme clinic] Reminder: deprovision for "),
            "{}",
            reminder.subject()
        );
        assert!(
            reminder
                .header("Content-Type")
                .starts_with("multipart/alternative")
        );
        assert!(reminder.data.contains("text/plain") && reminder.data.contains("text/html"));
        let link = format!("{}/console/tasks/{task}", p.app.address);
        assert!(reminder.data.contains(&link), "{}", reminder.data);
        let (_, deliveries) = p
            .get(&format!("/api/v1/webhooks/{channel_id}/deliveries"))
            .await;
        let delivered = &deliveries["items"][0];
        assert_eq!(delivered["state"], "delivered", "{deliveries}");
        let event = delivered["event_id"].as_str().unwrap();
        assert!(reminder.header("Message-ID").contains(event));

        // Overdue an hour later: to the assignee; an hour after, escalated to the backup
        // address. 07:00 in Chicago brings the digest, to the administrators.
        p.app.clock.advance(Duration::minutes(30));
        p.app.sweep().await;
        p.app.deliver().await;
        p.app.clock.advance(Duration::hours(1));
        p.app.sweep().await;
        p.app.deliver().await;
        let mails = smtp.mails(4);
        let subjects: Vec<String> = mails.iter().map(Mail::subject).collect();
        let escalated = mails
            .iter()
            .find(|m| m.subject().contains("Escalated"))
            .unwrap_or_else(|| panic!("{subjects:?}"));
        assert_eq!(escalated.to, ["backup@acme.example"]);
        assert!(
            subjects.iter().any(|s| s.contains("Overdue")),
            "{subjects:?}"
        );
        let digest = mails
            .iter()
            .find(|m| m.subject().contains("Daily digest"))
            .unwrap_or_else(|| panic!("{subjects:?}"));
        assert!(digest.to.contains(&"pat@acme.example".to_owned()));
        assert!(digest.data.contains("/console/queue"));
        // Nothing is sent twice.
        p.app.sweep().await;
        p.app.deliver().await;
        std::thread::sleep(StdDuration::from_millis(300));
        assert_eq!(smtp.mails(0).len(), mails.len());
    }
);

storage_test!(
    /// Settings are checked naming the field; the channel is shown, tested, changed and
    /// removed only through its own routes; a test e-mail reaches the address given.
    async fn email_settings_are_checked_tested_and_removed(backend: Backend) {
        // First the server: installing it blocks this thread, and the app's idle
        // connections must not go stale meanwhile.
        let smtp = SmtpServer::start(0, "", "");
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, _) = p.get("/api/v1/email-settings").await;
        assert_eq!(status, 404);
        for (change, field) in [
            (
                json!({"host": "93.184.215.14", "security": "none"}),
                "security",
            ),
            (json!({"from": "nobody"}), "from"),
            // No practice's password comes from a variable of the administrator's choosing.
            (
                json!({"username": "a", "password_env": "PORTCULLIS_DATABASE_URL"}),
                "password_env",
            ),
            (
                json!({"username": "a", "password_env": "PORTCULLIS_SMTP_PASSWORD__BETA"}),
                "password_env",
            ),
            (json!({"password_env": "lower case"}), "password_env"),
            (json!({"host": "mail.example:25"}), "host"),
            (json!({"event_types": ["task.nope"]}), "event type"),
        ] {
            let mut body = settings(2525);
            for (key, value) in change.as_object().unwrap() {
                body[key] = value.clone();
            }
            let (status, problem) = p.put("/api/v1/email-settings", body).await;
            assert_eq!(status, 422, "{field}: {problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(field),
                "{problem}"
            );
        }
        let (status, problem) = p
            .put(
                "/api/v1/email-settings",
                json!({"host": "x", "port": 25, "from": "a@b.example", "security": "ssl"}),
            )
            .await;
        assert_eq!(status, 400, "{problem}");

        let (status, channel) = p.put("/api/v1/email-settings", settings(smtp.port)).await;
        assert_eq!(status, 200, "{channel}");
        let id = channel["id"].as_str().unwrap().to_owned();
        let (_, shown) = p.get("/api/v1/email-settings").await;
        assert!(shown["password_env"].is_null(), "{shown}");
        assert_eq!(shown["host"], "127.0.0.1");

        // Listed among the alert channels, but not changed through the webhook routes.
        let (_, hooks) = p.get("/api/v1/webhooks").await;
        assert_eq!(hooks["items"][0]["format"], "email", "{hooks}");
        let (status, problem) = p
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/webhooks/{id}"),
                Some(json!({"enabled": false})),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("email-settings")
        );

        let (status, queued) = p
            .post(
                "/api/v1/email-settings/test",
                json!({"to": "it@acme.example"}),
            )
            .await;
        assert_eq!(status, 202, "{queued}");
        p.app.deliver().await;
        let mails = smtp.mails(1);
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, ["it@acme.example"]);
        assert!(
            mails[0].subject().contains("Test e-mail"),
            "{}",
            mails[0].subject()
        );
        let (status, _) = p
            .post(
                "/api/v1/email-settings/test",
                json!({"to": "not an address"}),
            )
            .await;
        assert_eq!(status, 422);

        let (status, audit) = p.get("/api/v1/audit?action=email.settings_changed").await;
        assert_eq!(status, 200);
        assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");

        let (status, _) = p
            .send(reqwest::Method::DELETE, "/api/v1/email-settings", None)
            .await;
        assert_eq!(status, 204);
        let (status, _) = p.get("/api/v1/email-settings").await;
        assert_eq!(status, 404);
    }
);

storage_test!(
    /// The console's e-mail section: the mail server saved through the form, a test e-mail
    /// sent from it and received; the page passes axe.
    async fn email_settings_in_the_browser(backend: Backend) {
        use crate::browser::{Driver, accessibility_violations, click, screenshot, see, sign_in};
        use fantoccini::Locator;

        // First the server: installing it blocks this thread, and the app's idle
        // connections must not go stale meanwhile.
        let smtp = SmtpServer::start(0, "", "");
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let driver = Driver::start();
        let browser = driver.browser().await;
        sign_in(&browser, &p.app, "acme", "pat@acme.example").await;
        click(&browser, "Settings").await;
        see(&browser, "No mail server").await;
        let fill = |id: &'static str, text: String| {
            let browser = browser.clone();
            async move {
                let input = browser.find(Locator::Id(id)).await.unwrap();
                input.clear().await.unwrap();
                input.send_keys(&text).await.unwrap();
            }
        };
        fill("m-host", "127.0.0.1".to_owned()).await;
        fill("m-port", smtp.port.to_string()).await;
        fill("m-from", "Portcullis <alerts@acme.example>".to_owned()).await;
        browser
            .find(Locator::Css("#m-security option[value='none']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click(&browser, "Save e-mail settings").await;
        see(&browser, "E-mail settings saved.").await;
        see(&browser, "Alerts are e-mailed through").await;
        fill("m-test", "it@acme.example".to_owned()).await;
        click(&browser, "Send test e-mail").await;
        see(&browser, "Test e-mail queued to it@acme.example").await;
        p.app.deliver().await;
        let mails = smtp.mails(1);
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, ["it@acme.example"]);
        browser
            .execute(
                "document.getElementById('email').scrollIntoView()",
                Vec::new(),
            )
            .await
            .unwrap();
        screenshot(&browser, &backend, "settings-email").await;
        let violations = accessibility_violations(&browser).await;
        assert!(violations.is_empty(), "{violations:#?}");
        click(&browser, "Stop e-mail alerts").await;
        see(&browser, "E-mail alerts stopped.").await;
        browser.close().await.unwrap();
    }
);

storage_test!(
    /// With a user name, the service signs in to the mail server with the password in the
    /// practice's own variable (`PORTCULLIS_SMTP_PASSWORD__ACME`), set in the service's
    /// environment as an operator would.
    async fn the_password_comes_from_the_practices_own_variable(backend: Backend) {
        use crate::cli::{Served, portcullis, practice_with_token};

        let dir = tempfile::tempdir().unwrap();
        let database = backend.fresh_database(dir.path()).await;
        let db = database.url.as_str();
        let token = practice_with_token(dir.path(), db, "acme", "admin:read,admin:write");
        let smtp = SmtpServer::start(0, "alerts@acme.example", "smtp-secret-of-acme");
        let mut command = portcullis(dir.path(), db);
        command
            .env("PORTCULLIS_SMTP_PASSWORD__ACME", "smtp-secret-of-acme")
            .env("PORTCULLIS_WEBHOOK_ALLOW_PRIVATE", "true");
        let served = Served::start(command);
        let client = crate::helpers::http_client();
        let mut body = settings(smtp.port);
        body["username"] = json!("alerts@acme.example");
        let saved: Value = client
            .put(served.url("/api/v1/email-settings"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            saved["password_env"], "PORTCULLIS_SMTP_PASSWORD__ACME",
            "{saved}"
        );
        let queued = client
            .post(served.url("/api/v1/email-settings/test"))
            .bearer_auth(&token)
            .json(&json!({"to": "it@acme.example"}))
            .send()
            .await
            .unwrap();
        assert_eq!(queued.status(), 202);
        let mails = smtp.mails(1);
        assert_eq!(mails.len(), 1, "the test e-mail never arrived");
        assert!(mails[0].authenticated);
        // The practice's variable is not reported as an unknown setting, and the password is
        // in no log line.
        let logged = served.stderr.lock().unwrap().join("\n");
        assert!(
            !logged.contains("PORTCULLIS_SMTP_PASSWORD__ACME"),
            "{logged}"
        );
        assert!(!logged.contains("smtp-secret-of-acme"), "{logged}");
    }
);
