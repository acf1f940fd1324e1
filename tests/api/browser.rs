//! The console in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver), by what a user sees (link texts, button words, labels), never by CSS ids.
//! `.ci/run` installs `chromium` and `chromium-driver`; without them these tests fail and say
//! how to install them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::console::sign_in_link;
use crate::helpers::{Backend, TestApp, spawn_app, storage_test};
use crate::lifecycle::Practice;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process on a free loopback port, killed on drop.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub(crate) fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Chromium: apt-get install -y chromium chromium-driver"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    /// A new headless browser window (its own profile: no cookies shared with another).
    pub(crate) async fn browser(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1280,1000"],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Something a user can click, by the words on it: a button or a link.
pub(crate) async fn click(browser: &Client, words: &str) {
    let xpath =
        format!("//button[normalize-space(.)='{words}'] | //a[normalize-space(.)='{words}']");
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("nothing to click that says {words:?}: {e}"))
        .click()
        .await
        .unwrap();
}

/// The form field a label names.
pub(crate) async fn field(browser: &Client, label: &str) -> fantoccini::elements::Element {
    let xpath = format!("//*[@id=(//label[normalize-space(.)='{label}']/@for)]");
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no field labelled {label:?}: {e}"))
}

/// Waits until the page's text holds `text`; returns the text.
pub(crate) async fn see(browser: &Client, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Between two pages there may be no body yet, or the one found may be replaced.
        let shown = match browser.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if shown.contains(text) {
            return shown;
        }
        assert!(
            Instant::now() < deadline,
            "{text:?} never appeared in:\n{shown}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the address bar holds `part` (htmx swaps pages in place, then sets it).
pub(crate) async fn at(browser: &Client, part: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = browser.current_url().await.unwrap().to_string();
        if url.contains(part) {
            // The address changes as the new page is swapped in; let the swap settle.
            tokio::time::sleep(Duration::from_millis(150)).await;
            return;
        }
        assert!(Instant::now() < deadline, "never got to {part:?}; at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With `UPDATE_SCREENSHOTS=1`, saves the page as `tests/screenshots/{name}.png` for the
/// README (SQLite runs only, so each is written once).
pub(crate) async fn screenshot(browser: &Client, backend: &Backend, name: &str) {
    if std::env::var_os("UPDATE_SCREENSHOTS").is_none() || !matches!(backend, Backend::Sqlite) {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Opens a sign-in link in `browser` and presses "Sign in", as the person would.
pub(crate) async fn sign_in(browser: &Client, app: &TestApp, slug: &str, email: &str) {
    let secret = sign_in_link(app, slug, email, chrono::Duration::minutes(15)).await;
    browser
        .goto(&app.url(&format!("/console/sign-in/{secret}")))
        .await
        .unwrap();
    see(browser, email).await;
    click(browser, "Sign in").await;
    see(browser, "Overdue now").await;
}

storage_test!(
    /// The main flow: a SCIM leaver appears in the queue; Pat claims the task and marks it
    /// done with a screenshot; Vic, signed in elsewhere, verifies it; the timeline names both.
    async fn a_leaver_is_cleared_in_the_browser(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        p.record(&jo, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.scim
            .patch(
                &format!("/Users/{jo}"),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "value": {"active": false}}]}),
            )
            .await
            .expect(200);

        // A joiner too, so the queue has more than one person's work.
        p.hire("sam@acme.example", "Front Desk").await;
        let driver = Driver::start();
        let pat = driver.browser().await;
        let secret = sign_in_link(
            &p.app,
            "acme",
            "pat@acme.example",
            chrono::Duration::minutes(15),
        )
        .await;
        pat.goto(&p.app.url(&format!("/console/sign-in/{secret}")))
            .await
            .unwrap();
        see(&pat, "pat@acme.example").await;
        screenshot(&pat, &backend, "sign-in").await;
        click(&pat, "Sign in").await;
        see(&pat, "Overdue now").await;
        screenshot(&pat, &backend, "home").await;
        click(&pat, "Queue").await;
        click(&pat, "All (3)").await;
        at(&pat, "view=all").await;
        see(&pat, "Front Desk sam@acme.example").await;
        screenshot(&pat, &backend, "queue").await;
        click(&pat, "Unassigned (3)").await;
        at(&pat, "view=unassigned").await;
        let queue = see(&pat, "Front Desk jo@acme.example").await;
        assert!(queue.contains("Availity Essentials"), "{queue}");
        pat.find(Locator::XPath(
            "//tr[contains(., 'jo@acme.example')]//button[normalize-space(.)='Claim']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        see(&pat, "Claimed").await;
        click(&pat, "My work (1)").await;
        at(&pat, "view=mine").await;
        pat.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("a.task-link"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        at(&pat, "/console/tasks/").await;
        see(&pat, "Mark done").await;

        let shot = p.app.dir.path().join("removed.png");
        std::fs::write(&shot, b"\x89PNG\r\n\x1a\n-the portal's user page-").unwrap();
        field(&pat, "Note")
            .await
            .send_keys("Removed in Maintain User")
            .await
            .unwrap();
        field(&pat, "Confirmation number")
            .await
            .send_keys("AV-77")
            .await
            .unwrap();
        field(&pat, "Evidence file")
            .await
            .send_keys(shot.to_str().unwrap())
            .await
            .unwrap();
        screenshot(&pat, &backend, "task").await;
        click(&pat, "Mark done").await;
        let done = see(&pat, "Marked done.").await;
        assert!(
            done.contains("removed.png") && done.contains("AV-77"),
            "{done}"
        );
        assert!(done.contains("asks a second person to verify"), "{done}");

        let vic = driver.browser().await;
        sign_in(&vic, &p.app, "acme", "vic@acme.example").await;
        vic.goto(pat.current_url().await.unwrap().as_ref())
            .await
            .unwrap();
        click(&vic, "Verify").await;
        let timeline = see(&vic, "Verified.").await;
        screenshot(&vic, &backend, "task-verified").await;
        for said in [
            "Claimed by pat",
            "Marked done by pat",
            "Verified by vic",
            "Evidence file added by pat",
        ] {
            assert!(timeline.contains(said), "{said:?} in:\n{timeline}");
        }
        pat.close().await.unwrap();
        vic.close().await.unwrap();
    }
);

/// axe-core, injected into a page; returns its serious and critical violations, one line each.
pub(crate) async fn accessibility_violations(browser: &Client) -> Vec<String> {
    const AXE: &str = include_str!("../fixtures/axe/axe-4.14.1.min.js");
    browser.execute(AXE, Vec::new()).await.unwrap();
    let found = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document).then(
                 r => done({passes: r.passes.length, violations: r.violations
                   .filter(v => v.impact === "serious" || v.impact === "critical")
                   .map(v => v.id + " (" + v.impact + "): " + v.help + " at "
                        + v.nodes.map(n => n.target.join(" ")).join(", "))}),
                 e => done({passes: 0, violations: ["axe failed: " + e]}));"#,
            Vec::new(),
        )
        .await
        .unwrap();
    // A run that checked nothing would pass vacuously.
    assert!(
        found["passes"].as_u64().unwrap_or(0) > 5,
        "axe did not run: {found}"
    );
    serde_json::from_value(found["violations"].clone()).unwrap()
}

storage_test!(
    /// axe-core finds no serious or critical violation on any console page, signed out and in.
    async fn every_page_passes_axe(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let task = p.tasks(&jo, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let sam = p.hire("sam@acme.example", "Front Desk").await;
        p.record(&sam, "availity-essentials", &["eligibility-benefits"])
            .await;
        let (status, review) = p
            .post(
                "/api/v1/reviews",
                json!({"name": "Q1 access review", "deadline": "2027-01-31"}),
            )
            .await;
        assert_eq!(status, 201, "{review}");
        let review = review["id"].as_str().unwrap().to_owned();
        let driver = Driver::start();
        let browser = driver.browser().await;
        let mut pages = Vec::new();
        let secret = sign_in_link(
            &p.app,
            "acme",
            "pat@acme.example",
            chrono::Duration::minutes(15),
        )
        .await;
        browser.goto(&p.app.url("/console/sign-in")).await.unwrap();
        pages.push(("sign-in", accessibility_violations(&browser).await));
        browser
            .goto(&p.app.url(&format!("/console/sign-in/{secret}")))
            .await
            .unwrap();
        pages.push(("sign-in link", accessibility_violations(&browser).await));
        click(&browser, "Sign in").await;
        see(&browser, "Overdue now").await;
        // Each page, and the README screenshot it gives (the flows take the others).
        for (path, shot) in [
            ("/console".to_owned(), None),
            ("/console/queue?view=all".to_owned(), None),
            (format!("/console/tasks/{task}"), None),
            ("/console/practices".to_owned(), None),
            ("/console/reports".to_owned(), Some("reports")),
            ("/console/audit?verify=1".to_owned(), Some("audit")),
            ("/console/people".to_owned(), Some("people")),
            (format!("/console/people/{jo}"), Some("person")),
            ("/console/portals".to_owned(), Some("portals")),
            (
                "/console/portals/availity-essentials".to_owned(),
                Some("portal"),
            ),
            (
                "/console/portals/noridian-nmp#duties".to_owned(),
                Some("portal-duties"),
            ),
            ("/console/policy".to_owned(), None),
            ("/console/reviews".to_owned(), Some("reviews")),
            (format!("/console/reviews/{review}"), Some("review")),
            (
                format!("/console/reviews/{review}/report"),
                Some("review-report"),
            ),
            ("/console/policy/rule?name=Front%20desk".to_owned(), None),
            ("/console/policy/rule".to_owned(), None),
            ("/console/settings".to_owned(), None),
            ("/console/no-such-page".to_owned(), None),
        ] {
            browser.goto(&p.app.url(&path)).await.unwrap();
            let found = accessibility_violations(&browser).await;
            if let Some(name) = shot {
                screenshot(&browser, &backend, name).await;
            }
            pages.push((Box::leak(path.into_boxed_str()), found));
        }
        let failing: Vec<_> = pages.iter().filter(|(_, v)| !v.is_empty()).collect();
        assert!(failing.is_empty(), "{failing:#?}");
        browser.close().await.unwrap();
    }
);

storage_test!(
    /// The queue's keys: `j` selects the first task, `c` claims it, `?` lists the keys.
    async fn the_queue_answers_the_keyboard(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let driver = Driver::start();
        let browser = driver.browser().await;
        sign_in(&browser, &p.app, "acme", "pat@acme.example").await;
        browser
            .goto(&p.app.url("/console/queue?view=all"))
            .await
            .unwrap();
        see(&browser, "Front Desk jo@acme.example").await;
        let body = browser.find(Locator::Css("body")).await.unwrap();
        body.send_keys("?").await.unwrap();
        let keys = browser.find(Locator::Css("#keys")).await.unwrap();
        assert!(keys.is_displayed().await.unwrap(), "? shows the keys");
        body.send_keys("j").await.unwrap();
        browser
            .active_element()
            .await
            .unwrap()
            .send_keys("c")
            .await
            .unwrap();
        see(&browser, "Claimed").await;
        let claimed = p.tasks(&jo, "claimed").await;
        assert_eq!(claimed.len(), 1, "the first task is claimed: {claimed:?}");
        browser.close().await.unwrap();
    }
);

storage_test!(
    /// Signing in through the practice's identity provider in Chromium: the sign-in page's
    /// button, the provider's own login page, and back to Home signed in. The sign-in page
    /// with a provider passes axe too.
    async fn an_administrator_signs_in_through_the_identity_provider(backend: Backend) {
        let (p, _provider) = crate::oidc::app_with_provider(&backend).await;
        let driver = Driver::start();
        let browser = driver.browser().await;
        browser.goto(&p.app.url("/console/sign-in")).await.unwrap();
        see(&browser, "Your practice's short name").await;
        let violations = accessibility_violations(&browser).await;
        assert!(violations.is_empty(), "{violations:#?}");
        browser
            .find(Locator::Id("s-practice"))
            .await
            .unwrap()
            .send_keys("acme")
            .await
            .unwrap();
        screenshot(&browser, &backend, "sign-in-oidc").await;
        click(&browser, "Continue to your identity provider").await;
        see(&browser, "Test IdP").await;
        browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("input[name=email]"))
            .await
            .unwrap()
            .send_keys("pat@acme.example")
            .await
            .unwrap();
        click(&browser, "Continue").await;
        let home = see(&browser, "Overdue now").await;
        assert!(
            home.contains("pat@acme.example") || home.contains("pat"),
            "{home}"
        );
        at(&browser, "/console").await;
        browser.close().await.unwrap();
    }
);

storage_test!(
    /// A rule edited in the browser: "Edit", change who it applies to, "Preview" lists who
    /// would lose what, "Save" stores the new version and the page says so.
    async fn a_rule_is_previewed_and_saved_in_the_browser(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        p.hire("jo@acme.example", "Front Desk").await;
        p.hire("kim@acme.example", "Receptionist").await;
        let driver = Driver::start();
        let browser = driver.browser().await;
        sign_in(&browser, &p.app, "acme", "pat@acme.example").await;
        click(&browser, "Policy").await;
        see(&browser, "title Front Desk or Receptionist").await;
        screenshot(&browser, &backend, "policy").await;
        browser
            .find(Locator::Css("a[aria-label='Edit the rule Front desk']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        see(&browser, "Edit a rule").await;
        let titles = field(&browser, "Job title").await;
        titles.clear().await.unwrap();
        titles.send_keys("Front Desk").await.unwrap();
        click(&browser, "Preview").await;
        let preview = see(&browser, "Losses").await;
        assert!(
            preview.contains("Receptionist kim@acme.example"),
            "{preview}"
        );
        screenshot(&browser, &backend, "policy-preview").await;
        click(&browser, "Save").await;
        see(&browser, "Rule saved: the policy is now version 2.").await;
        browser.close().await.unwrap();
    }
);

storage_test!(
    /// Settings in the browser: a token for the identity provider is made and shown once, a
    /// webhook is added and its delivery log opened; both pages pass axe.
    async fn settings_make_a_token_and_a_webhook_in_the_browser(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let receiver = crate::alerts::Receiver::start().await;
        let driver = Driver::start();
        let browser = driver.browser().await;
        sign_in(&browser, &p.app, "acme", "pat@acme.example").await;
        click(&browser, "Settings").await;
        see(&browser, "Identity provider tokens").await;
        let name = browser.find(Locator::Id("t-name")).await.unwrap();
        name.send_keys("okta").await.unwrap();
        click(&browser, "Make a token").await;
        let page = see(&browser, "Copy this now").await;
        assert!(page.contains("pcl_"), "{page}");
        screenshot(&browser, &backend, "settings").await;
        let violations = accessibility_violations(&browser).await;
        assert!(violations.is_empty(), "{violations:#?}");
        field(&browser, "Name")
            .await
            .send_keys("Office alerts")
            .await
            .unwrap();
        field(&browser, "URL")
            .await
            .send_keys(&receiver.url)
            .await
            .unwrap();
        click(&browser, "Add the webhook").await;
        see(&browser, "Office alerts").await;
        click(&browser, "Office alerts").await;
        see(&browser, "Delivery log").await;
        click(&browser, "Send test").await;
        see(&browser, "Test event sent").await;
        p.app.deliver().await;
        browser.refresh().await.unwrap();
        see(&browser, "HTTP 200").await;
        screenshot(&browser, &backend, "webhook").await;
        let violations = accessibility_violations(&browser).await;
        assert!(violations.is_empty(), "{violations:#?}");
        browser.close().await.unwrap();
        receiver.stop().await;
    }
);

storage_test!(
    /// The guards, seen from a browser: an auditor is offered no button they may not use; a
    /// POST without the page's CSRF token is refused (403) and changes nothing; an
    /// administrator of another practice who types this practice's task URL gets "not found";
    /// after the idle timeout a reload lands on the sign-in page saying why.
    async fn the_console_guards_hold_in_the_browser(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let task = p.tasks(&jo, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        crate::console::another_admin(&p, "ada@acme.example", "auditor").await;
        let beta = p.app.practice("beta").await;
        p.app
            .admin_token(&beta, "bo@beta.example", "portal_admin")
            .await;
        let driver = Driver::start();

        let ada = driver.browser().await;
        sign_in(&ada, &p.app, "acme", "ada@acme.example").await;
        ada.goto(&p.app.url(&format!("/console/tasks/{task}")))
            .await
            .unwrap();
        let page = see(&ada, "Timeline").await;
        assert!(!page.contains("Mark done"), "{page}");
        let buttons = ada
            .find_all(Locator::XPath("//button[normalize-space(.)='Claim']"))
            .await
            .unwrap();
        assert!(buttons.is_empty(), "an auditor is offered no Claim");
        ada.close().await.unwrap();

        let pat = driver.browser().await;
        sign_in(&pat, &p.app, "acme", "pat@acme.example").await;
        pat.goto(&p.app.url(&format!("/console/tasks/{task}")))
            .await
            .unwrap();
        see(&pat, "Claim").await;
        let status = pat
            .execute_async(
                &format!(
                    r#"const done = arguments[arguments.length - 1];
                       fetch("/console/tasks/{task}/claim", {{method: "POST",
                         body: new URLSearchParams({{}})}}).then(r => done(r.status));"#
                ),
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(status, 403);
        let open = p.tasks(&jo, "open").await;
        assert!(open[0]["claimed_by"].is_null(), "{open:?}");

        let bo = driver.browser().await;
        sign_in(&bo, &p.app, "beta", "bo@beta.example").await;
        bo.goto(&p.app.url(&format!("/console/tasks/{task}")))
            .await
            .unwrap();
        let page = see(&bo, "not found").await;
        assert!(!page.contains("jo@acme.example"), "{page}");
        bo.close().await.unwrap();

        p.app.clock.advance(chrono::Duration::minutes(16));
        pat.refresh().await.unwrap();
        see(&pat, "signed out after a time without activity").await;
        at(&pat, "/console/sign-in").await;
        pat.close().await.unwrap();
    }
);

storage_test!(
    /// A reviewer decides with the keyboard: `n` to the next account, `k` keeps it; `r` asks
    /// why, and Enter revokes.
    async fn a_reviewer_decides_with_the_keyboard(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let kim = p.hire("kim@acme.example", "Front Desk").await;
        for someone in [&jo, &kim] {
            p.record(someone, "availity-essentials", &["eligibility-benefits"])
                .await;
        }
        let (status, review) = p
            .post(
                "/api/v1/reviews",
                json!({"name": "Q1 access review", "deadline": "2027-01-31"}),
            )
            .await;
        assert_eq!(status, 201, "{review}");
        let review = review["id"].as_str().unwrap().to_owned();
        let driver = Driver::start();
        let browser = driver.browser().await;
        sign_in(&browser, &p.app, "acme", "pat@acme.example").await;
        browser
            .goto(&p.app.url(&format!("/console/reviews/{review}")))
            .await
            .unwrap();
        see(&browser, "Keys:").await;
        let press = |keys: &'static str| {
            let browser = &browser;
            async move {
                browser
                    .find(Locator::Css("body"))
                    .await
                    .unwrap()
                    .send_keys(keys)
                    .await
                    .unwrap();
            }
        };
        press("n").await;
        press("k").await;
        see(&browser, "Kept.").await;
        press("n").await;
        press("n").await;
        press("r").await;
        let why = browser
            .find(Locator::Css(
                "tr[aria-selected='true'] input[name='comment']",
            ))
            .await
            .unwrap();
        why.send_keys("moved to scheduling\u{E007}").await.unwrap();
        see(&browser, "Revoked: the removal task is in the queue.").await;
        screenshot(&browser, &backend, "review-decided").await;
        let (_, items) = p.get(&format!("/api/v1/reviews/{review}/items")).await;
        let mut decisions: Vec<String> = items["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["decision"].as_str().unwrap_or("undecided").to_owned())
            .collect();
        decisions.sort();
        assert_eq!(decisions, ["keep", "revoke"], "{items}");
        browser.close().await.unwrap();
    }
);
