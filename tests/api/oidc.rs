//! Console sign-in through a practice's own identity provider, against a real OpenID provider
//! on loopback: the OpenID Certified `oidc-provider` npm package (`tests/fixtures/oidc`),
//! started by each test. What must hold: authorization code with PKCE, `state` and `nonce`;
//! the provider proves an e-mail and Portcullis decides who that is and with which role; a
//! replayed, forged, late, cross-browser or mixed-up answer signs nobody in.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use chrono::Utc;
use portcullis::config::OidcProviderConfig;
use reqwest::header::LOCATION;

use crate::helpers::{Backend, NowUtc, TestApp, spawn_app_with, storage_test};
use crate::lifecycle::Practice;

const CLIENT_ID: &str = "portcullis-console";
const CLIENT_SECRET: &str = "a-client-secret-for-the-tests-only";

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oidc")
}

/// Installs the provider's npm package from its lock file, once per checkout.
fn install_provider_package() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = fixture_dir();
    if dir.join("node_modules/oidc-provider/package.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .expect("the OpenID Connect tests need Node.js and npm (apt-get install -y nodejs npm)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// A running OpenID provider, killed on drop.
pub(crate) struct Provider {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub issuer: String,
}

impl Provider {
    /// Starts the provider; it listens, but serves only after [`Provider::serve`].
    pub(crate) fn start() -> Self {
        install_provider_package();
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(fixture_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // The package warns about its in-memory store and development keys: as meant.
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the test OpenID provider");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let port = Self::line_starting(&mut stdout, "port ");
        Self {
            child,
            stdin,
            stdout,
            issuer: format!("http://127.0.0.1:{port}"),
        }
    }

    fn line_starting(stdout: &mut BufReader<ChildStdout>, prefix: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let read = stdout.read_line(&mut line).unwrap();
            assert!(
                read > 0,
                "the OpenID provider stopped before saying {prefix:?}"
            );
            if let Some(rest) = line.trim().strip_prefix(prefix) {
                return rest.to_owned();
            }
            if line.trim() == prefix.trim() {
                return String::new();
            }
        }
    }

    /// Registers Portcullis (at `app`) as the provider's one client and starts serving.
    pub(crate) fn serve(&mut self, app: &TestApp) {
        writeln!(
            self.stdin,
            "{}/console/oidc/callback {CLIENT_ID} {CLIENT_SECRET}",
            app.address
        )
        .unwrap();
        Self::line_starting(&mut self.stdout, "ready");
    }

    /// The `[[console.oidc]]` entry for `practice`.
    pub(crate) fn config(&self, practice: &str, secret: &str) -> OidcProviderConfig {
        toml::from_str(&format!(
            "practice = \"{practice}\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret = \"{secret}\"\nlabel = \"Test IdP\"",
            self.issuer
        ))
        .unwrap()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `acme` signs in through the provider (as does `beta`, with a wrong client secret); the
/// app's clock is real time, since the provider's tokens are.
pub(crate) async fn app_with_provider(backend: &Backend) -> (Practice, Provider) {
    let mut provider = Provider::start();
    let entries = vec![
        provider.config("acme", CLIENT_SECRET),
        provider.config("beta", "not-the-client-secret-at-all-00000"),
    ];
    let app = spawn_app_with(backend, |s| s.console.oidc = entries).await;
    app.clock.set(wall_clock());
    provider.serve(&app);
    (Practice::new(app, "acme").await, provider)
}

/// Real time: the provider's tokens are stamped with it, so the app's clock must agree.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> chrono::DateTime<Utc> {
    Utc::now()
}

/// Ada, an auditor, in `practice`.
async fn add_ada(app: &TestApp, practice: &portcullis::store::Practice) {
    app.store
        .add_admin(
            practice.id,
            "ada@acme.example",
            "Ada Auditor",
            portcullis::domain::admin::AdminRole::Auditor,
            app.clock.now_utc(),
        )
        .await
        .unwrap();
}

/// A browser without JavaScript that keeps cookies and follows nothing by itself.
fn browser() -> reqwest::Client {
    portcullis::startup::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("a redirect, not {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Starts a sign-in for `practice` and goes through the provider's login page as `email`
/// (pressing `button`); returns the URL the provider sends the browser back to, unopened.
async fn through_provider(
    client: &reqwest::Client,
    app: &TestApp,
    practice: &str,
    email: &str,
    button: &str,
) -> String {
    let started = client
        .get(app.url(&format!("/console/sign-in/with/{practice}")))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303, "{}", started.text().await.unwrap());
    let mut next = location(&started);
    let callback = app.url("/console/oidc/callback");
    for _ in 0..10 {
        if next.starts_with(&callback) {
            return next;
        }
        let url = next.clone();
        let response = client.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            next = absolute(&url, &location(&response));
            continue;
        }
        // The provider's login page: answer it.
        assert_eq!(response.status(), 200, "{url}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Test IdP"), "{page}");
        let answered = client
            .post(&url)
            .form(&[("email", email), ("go", button)])
            .send()
            .await
            .unwrap();
        next = absolute(&url, &location(&answered));
    }
    panic!("the provider never sent the browser back");
}

/// `location` resolved against `url`.
fn absolute(url: &str, location: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// Opens the provider's answer; returns the status, the page and where it redirects.
async fn come_back(client: &reqwest::Client, url: &str) -> (u16, String, Option<String>) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let to = response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), to)
}

storage_test!(
    /// The sign-in page offers the practice's provider; its authorization request carries
    /// PKCE (S256), `state` and `nonce`; back from the provider the administrator is signed
    /// in, in the role Portcullis records (an auditor stays an auditor whatever the IdP
    /// says), and the audit trail records the sign-in with the issuer and subject.
    async fn signs_in_an_administrator_through_the_practice_identity_provider(backend: Backend) {
        let (p, _provider) = app_with_provider(&backend).await;
        let app = &p.app;
        let acme = app
            .store
            .practice_by_slug(&portcullis::domain::practice::PracticeSlug::parse("acme").unwrap())
            .await
            .unwrap();
        add_ada(app, &acme).await;

        let client = browser();
        let landing = client
            .get(app.url("/console/sign-in"))
            .send()
            .await
            .unwrap();
        // Its form may lead on to the provider, and nowhere else.
        let policy = landing.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            policy.contains(&format!("form-action 'self' {};", _provider.issuer)),
            "{policy}"
        );
        let landing = landing.text().await.unwrap();
        // Two practices sign in through a provider: the page asks which, and lists neither.
        assert!(landing.contains("s short name</label>"), "{landing}");
        assert!(
            !landing.contains("acme clinic") && !landing.contains("beta"),
            "{landing}"
        );
        let chosen = client
            .get(app.url("/console/sign-in-with?practice=ACME"))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&chosen), "/console/sign-in/with/acme");
        let unknown = client
            .get(app.url("/console/sign-in/with/nobody"))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
        assert!(
            unknown
                .text()
                .await
                .unwrap()
                .contains("No practice of that name")
        );

        let started = client
            .get(app.url("/console/sign-in/with/acme"))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 303);
        let cookie = started
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|c| c.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("portcullis_oidc="))
            .expect("the sign-in is bound to this browser");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let request = url::Url::parse(&location(&started)).unwrap();
        let query: std::collections::HashMap<_, _> = request.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], CLIENT_ID);
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["code_challenge"].len(), 43);
        assert!(query["state"].len() >= 43 && query["nonce"].len() >= 43);
        assert!(query["scope"].split(' ').any(|s| s == "openid"));

        let back = through_provider(&client, app, "acme", "Ada@Acme.example", "continue").await;
        let (status, page, to) = come_back(&client, &back).await;
        assert_eq!(status, 303, "{page}");
        assert_eq!(to.as_deref(), Some("/console"));
        let home = client
            .get(app.url("/console"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("Ada Auditor") && home.contains("auditor"),
            "{home}"
        );

        // The role is Portcullis's: an auditor may not claim a task.
        let queue = client
            .get(app.url("/console/queue"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!queue.contains(">Claim<"), "an auditor is offered no claim");

        // A session the provider opened reaches only the practices that trust that provider:
        // Ada also administers beta (same provider) and gamma (none).
        let beta = app.practice("beta").await;
        let gamma = app.practice("gamma").await;
        for practice in [&beta, &gamma] {
            add_ada(app, practice).await;
        }
        let picker = client
            .get(app.url("/console/practices"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(picker.contains("beta clinic"), "{picker}");
        assert!(!picker.contains("gamma clinic"), "{picker}");
        let csrf = crate::console::csrf_in(&picker);
        let switch = |to: &'static str| {
            client
                .post(app.url("/console/practice"))
                .header(reqwest::header::ORIGIN, &app.address)
                .form(&[("csrf", csrf.as_str()), ("practice", to)])
                .send()
        };
        assert_eq!(switch("gamma").await.unwrap().status(), 404);
        assert_eq!(switch("beta").await.unwrap().status(), 303);

        let (_, audit) = p.get("/api/v1/audit?action=console.signed_in").await;
        let record = &audit["items"][0];
        assert!(
            record["actor"]
                .as_str()
                .unwrap()
                .contains("ada@acme.example"),
            "{audit}"
        );
        assert_eq!(record["detail"]["method"], "oidc", "{audit}");
        assert_eq!(record["detail"]["subject"], "Ada@Acme.example");
        assert_eq!(record["detail"]["issuer"], _provider.issuer.as_str());
    }
);

storage_test!(
    /// Nobody is signed in by: an address that is no administrator of the practice (or no
    /// longer is), an address the provider has not verified, a refusal at the provider, the
    /// same answer twice, an answer opened in another browser, a made-up `state`, an answer
    /// naming another issuer, an ID token from the future, or a client the provider does not
    /// accept. Each says why on the sign-in page.
    async fn refuses_answers_it_cannot_trust(backend: Backend) {
        let (p, _provider) = app_with_provider(&backend).await;
        let app = &p.app;
        let refused = |status: u16, page: &str, words: &str| {
            assert!(page.contains(words), "{words:?} in {page}");
            assert!(page.contains("Sign in to Portcullis"), "{page}");
            assert!(status >= 400, "{status}");
        };

        // Not an administrator of acme.
        let client = browser();
        let back = through_provider(&client, app, "acme", "eve@else.example", "continue").await;
        let (status, page, _) = come_back(&client, &back).await;
        refused(
            status,
            &page,
            "The address eve@else.example does not belong to an active administrator",
        );
        assert_eq!(status, 403);

        // The provider has not verified the address.
        let client = browser();
        let back =
            through_provider(&client, app, "acme", "unverified@acme.example", "continue").await;
        let (status, page, _) = come_back(&client, &back).await;
        refused(status, &page, "not verified");

        // The person refused at the provider.
        let client = browser();
        let back = through_provider(&client, app, "acme", "pat@acme.example", "deny").await;
        let (status, page, _) = come_back(&client, &back).await;
        refused(status, &page, "did not sign you in (access_denied)");

        // A good answer works once, and only in the browser that started it.
        let client = browser();
        let back = through_provider(&client, app, "acme", "pat@acme.example", "continue").await;
        let elsewhere = browser();
        let (status, page, _) = come_back(&elsewhere, &back).await;
        refused(status, &page, "started in another browser");
        // The cross-browser attempt did not use it up for its own browser.
        let (status, page, _) = come_back(&client, &back).await;
        assert_eq!(status, 303, "{page}");
        let (status, page, _) = come_back(&client, &back).await;
        refused(status, &page, "already used");

        // A made-up state.
        let client = browser();
        let back = through_provider(&client, app, "acme", "pat@acme.example", "continue").await;
        let mut forged = url::Url::parse(&back).unwrap();
        let pairs: Vec<(String, String)> = forged
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    "made-up".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        forged.query_pairs_mut().clear().extend_pairs(pairs);
        let (status, page, _) = come_back(&client, forged.as_str()).await;
        refused(status, &page, "expired, was already used");

        // An answer that names another issuer (RFC 9207 mix-up).
        let client = browser();
        let back = through_provider(&client, app, "acme", "pat@acme.example", "continue").await;
        let mixed = back.replace("iss=http", "iss=https");
        assert_ne!(mixed, back, "the provider names itself: {back}");
        let (status, page, _) = come_back(&client, &mixed).await;
        refused(status, &page, "not `http://127.0.0.1");

        // An ID token issued "in the future" by our clock.
        let client = browser();
        let back = through_provider(&client, app, "acme", "pat@acme.example", "continue").await;
        app.clock.advance(chrono::Duration::hours(-1));
        let (status, page, _) = come_back(&client, &back).await;
        refused(status, &page, "issued in the future");
        app.clock.set(wall_clock());

        // The provider refuses the client's credentials (beta is configured with a wrong secret).
        app.practice("beta").await;
        let client = browser();
        let back = through_provider(&client, app, "beta", "pat@acme.example", "continue").await;
        let (status, page, _) = come_back(&client, &back).await;
        refused(
            status,
            &page,
            "did not accept the sign-in code: invalid_client",
        );

        // Pat is bound to the provider account that first signed in as him: another account
        // at the provider claiming his address (a reassigned mailbox) is turned away.
        let client = browser();
        let back = through_provider(&client, app, "acme", "PAT@acme.example", "continue").await;
        let (status, page, _) = come_back(&client, &back).await;
        refused(
            status,
            &page,
            "is linked to another account at your identity provider",
        );

        // A deactivated administrator is turned away.
        app.store
            .deactivate_admin("vic@acme.example", app.clock.now_utc())
            .await
            .unwrap();
        let client = browser();
        let back = through_provider(&client, app, "acme", "vic@acme.example", "continue").await;
        let (status, page, _) = come_back(&client, &back).await;
        refused(status, &page, "does not belong to an active administrator");

        // Only the one good answer signed anybody in.
        let (_, audit) = p.get("/api/v1/audit?action=console.signed_in").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    }
);

/// `[[console.oidc]]` entries are checked when the settings load, each refusal naming the
/// setting and the practice.
#[test]
fn provider_settings_are_checked() {
    let load = |toml: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portcullis.toml");
        std::fs::write(&path, toml).unwrap();
        portcullis::config::Settings::load(&path)
            .err()
            .map(|e| e.to_string())
    };
    let entry = |extra: &str| {
        format!("[[console.oidc]]\npractice = \"acme\"\nclient_id = \"c\"\n{extra}\n")
    };
    for (toml, words) in [
        (
            entry("issuer = \"http://idp.example\"\nclient_secret = \"s\""),
            "`issuer` must be an https:// URL",
        ),
        (
            entry("issuer = \"https://idp.example\""),
            "set exactly one of `client_secret` and `client_secret_env`",
        ),
        (
            entry(
                "issuer = \"https://idp.example\"\nclient_secret_env = \"PORTCULLIS_TEST_NO_SUCH_VAR\"",
            ),
            "PORTCULLIS_TEST_NO_SUCH_VAR named by `client_secret_env` is not set",
        ),
        (
            format!(
                "{}{}",
                entry("issuer = \"https://idp.example\"\nclient_secret = \"s\""),
                entry("issuer = \"https://other.example\"\nclient_secret = \"s\"")
            ),
            "practice acme has two entries",
        ),
    ] {
        let error = load(&toml).unwrap_or_else(|| panic!("{toml} was accepted"));
        assert!(error.contains("console.oidc"), "{error}");
        assert!(error.contains(words), "{words:?} in {error}");
    }
    assert_eq!(
        load(&entry(
            "issuer = \"https://idp.example\"\nclient_secret = \"s\""
        )),
        None
    );
}
