//! The console over HTTP, as a browser would drive it without JavaScript: signing in by a
//! one-time link, the session cookie and its limits, the gate on every POST (CSRF token,
//! same origin, role), practice isolation, and the audit records under the person's name. The
//! browser tests (`browser.rs`) drive the same pages in Chromium.

use chrono::Duration;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;

use crate::helpers::{Backend, NowUtc, TestApp, spawn_app, spawn_app_with, storage_test};
use crate::lifecycle::Practice;

/// A browser without JavaScript: follows nothing by itself, so tests see each redirect.
fn browser() -> reqwest::Client {
    portcullis::startup::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A signed-in console session: the cookie the browser holds, and the page's CSRF token.
pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
    pub client: reqwest::Client,
    pub base: String,
}

/// A one-time sign-in link's secret, made as `portcullis admin sign-in-link` makes it.
pub(crate) async fn sign_in_link(app: &TestApp, slug: &str, email: &str, ttl: Duration) -> String {
    let practice = app
        .store
        .practice_by_slug(&portcullis::domain::practice::PracticeSlug::parse(slug).unwrap())
        .await
        .unwrap();
    app.store
        .create_sign_in_link(
            &practice,
            email,
            ttl,
            &portcullis::domain::actor::Actor::cli(app.clock.now_utc()),
        )
        .await
        .unwrap()
}

/// The CSRF token in a page's forms.
pub(crate) fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..at + 64].to_owned()
}

impl Session {
    pub(crate) async fn sign_in(app: &TestApp, slug: &str, email: &str) -> Self {
        let secret = sign_in_link(app, slug, email, Duration::minutes(15)).await;
        let client = browser();
        let used = client
            .post(app.url(&format!("/console/sign-in/{secret}")))
            .header(ORIGIN, &app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(used.status(), 303, "{}", used.text().await.unwrap());
        let set = used.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set.split(';').next().unwrap().to_owned();
        let mut session = Self {
            cookie,
            csrf: String::new(),
            client,
            base: app.address.clone(),
        };
        let (status, home) = session.get("/console").await;
        assert_eq!(status, 200, "{home}");
        session.csrf = csrf_in(&home);
        session
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        (status, location.unwrap_or(body))
    }

    /// A form post from the console's own page (its origin, its CSRF token unless overridden).
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form, Some(&self.base)).await
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (u16, String) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(form);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        (status, location.unwrap_or(body))
    }
}

/// Adds an administrator with `role` to the practice `acme`; returns their API token.
pub(crate) async fn another_admin(p: &Practice, email: &str, role: &str) -> String {
    let acme = p
        .app
        .store
        .practice_by_slug(&portcullis::domain::practice::PracticeSlug::parse("acme").unwrap())
        .await
        .unwrap();
    p.app.admin_token(&acme, email, role).await
}

/// A leaver with an Availity account: one open deprovision task. Returns its id.
async fn leaver_task(p: &Practice) -> String {
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
    let removals = p.tasks(&jo, "open").await;
    removals
        .iter()
        .find(|t| t["kind"] == "deprovision" && t["portal"] == "availity-essentials")
        .expect("a deprovision task")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

storage_test!(
    /// The link page uses nothing (a mail scanner may open it); its button signs in once; the
    /// cookie is HttpOnly and SameSite; the sign-in and the link are in the audit trail.
    async fn a_sign_in_link_works_once(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let app = &p.app;
        let secret = sign_in_link(app, "acme", "pat@acme.example", Duration::minutes(15)).await;
        let client = browser();
        let url = app.url(&format!("/console/sign-in/{secret}"));
        for _ in 0..2 {
            let page = client.get(&url).send().await.unwrap();
            assert_eq!(page.status(), 200);
            let html = page.text().await.unwrap();
            assert!(
                html.contains("Sign in") && html.contains("pat@acme.example"),
                "{html}"
            );
        }
        let used = client
            .post(&url)
            .header(ORIGIN, &app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(used.status(), 303);
        let cookie = used.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("portcullis_session="), "{cookie}");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

        let again = client
            .post(&url)
            .header(ORIGIN, &app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 422);
        assert!(again.text().await.unwrap().contains("already been used"));
        let page = client.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("This link cannot be used"), "{page}");

        // An expired link signs nobody in.
        let late = sign_in_link(app, "acme", "pat@acme.example", Duration::minutes(5)).await;
        app.clock.advance(Duration::minutes(6));
        let refused = client
            .post(app.url(&format!("/console/sign-in/{late}")))
            .header(ORIGIN, &app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);

        let (_, audit) = p.get("/api/v1/audit?action=console.signed_in").await;
        let records = audit["items"].as_array().unwrap();
        assert_eq!(records.len(), 1, "{audit}");
        assert!(
            records[0]["actor"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
        let (_, made) = p
            .get("/api/v1/audit?action=console.sign_in_link.created")
            .await;
        assert_eq!(made["items"].as_array().unwrap().len(), 2, "{made}");
    }
);

storage_test!(
    /// Every page carries the security headers; a POST without the session's CSRF token, or
    /// from another origin, is refused and changes nothing.
    async fn posts_need_the_csrf_token_and_the_same_origin(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let task = leaver_task(&p).await;
        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;

        let page = me
            .client
            .get(format!("{}/console/tasks/{task}", me.base))
            .header(COOKIE, &me.cookie)
            .send()
            .await
            .unwrap();
        let headers = page.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("onclick"),
            "no inline script"
        );

        let claim = format!("/console/tasks/{task}/claim");
        let (status, body) = me.post_raw(&claim, &[], Some(&me.base)).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("reload the page"), "{body}");
        let (status, _) = me
            .post_raw(&claim, &[("csrf", "0".repeat(64).as_str())], Some(&me.base))
            .await;
        assert_eq!(status, 403);
        let (status, _) = me
            .post_raw(
                &claim,
                &[("csrf", me.csrf.as_str())],
                Some("https://evil.example"),
            )
            .await;
        assert_eq!(status, 403);
        let cross_site = me
            .client
            .post(format!("{}{claim}", me.base))
            .header(COOKIE, &me.cookie)
            .header("sec-fetch-site", "cross-site")
            .form(&[("csrf", me.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), 403);
        let (_, t) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(t["state"], "open", "nothing changed: {t}");

        let (status, to) = me.post(&claim, &[]).await;
        assert_eq!(status, 303, "{to}");
        let (_, t) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(t["state"], "claimed");
        assert_eq!(
            t["assignee"], "pat@acme.example",
            "the claimer is the assignee"
        );
        assert!(
            t["claimed_by"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
    }
);

storage_test!(
    /// The console's actions are the API's: claim, mark done with evidence, and a second
    /// administrator's verification, audited under each name; the task page shows who did
    /// what on its timeline, and four-eyes keeps the completer from verifying.
    async fn the_queue_is_cleared_from_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let task = leaver_task(&p).await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;

        let (_, queue) = pat.get("/console/queue?view=unassigned").await;
        assert!(queue.contains(&format!("/console/tasks/{task}")));
        assert_eq!(
            pat.post(&format!("/console/tasks/{task}/claim"), &[])
                .await
                .0,
            303
        );
        let (_, mine) = pat.get("/console/queue?view=mine").await;
        assert!(mine.contains("My work (1)"), "{mine}");

        // Mark done with a file: multipart, as the browser sends it.
        let png = b"\x89PNG\r\n\x1a\n-screenshot-".to_vec();
        let form = reqwest::multipart::Form::new()
            .text("csrf", pat.csrf.clone())
            .text("note", "removed in Maintain User")
            .text("confirmation_number", "AV-123")
            .part(
                "file",
                reqwest::multipart::Part::bytes(png.clone())
                    .file_name("removed.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        let done = pat
            .client
            .post(format!("{}/console/tasks/{task}/done", pat.base))
            .header(COOKIE, &pat.cookie)
            .header(ORIGIN, &pat.base)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());

        let (_, page) = pat.get(&format!("/console/tasks/{task}")).await;
        assert!(
            page.contains("removed.png") && page.contains("AV-123"),
            "{page}"
        );
        assert!(
            page.contains("ask a second person to verify") || page.contains("asks a second person"),
            "{page}"
        );
        let (status, _) = pat
            .post(&format!("/console/tasks/{task}/verify"), &[])
            .await;
        assert_eq!(status, 409, "four-eyes: the completer cannot verify");

        let vic = Session::sign_in(&p.app, "acme", "vic@acme.example").await;
        assert_eq!(
            vic.post(&format!("/console/tasks/{task}/verify"), &[])
                .await
                .0,
            303
        );
        let (_, page) = vic.get(&format!("/console/tasks/{task}")).await;
        for said in [
            "Claimed",
            "Marked done",
            "Verified",
            "Evidence file added",
            "pat",
            "vic",
        ] {
            assert!(page.contains(said), "{said} on the timeline: {page}");
        }
        let sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&png))
        };
        assert!(page.contains(&sha), "the file's SHA-256 is shown");

        let (_, t) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(t["state"], "verified");
        assert!(t["done_by"].as_str().unwrap().contains("pat@acme.example"));
        assert!(
            t["verified_by"]
                .as_str()
                .unwrap()
                .contains("vic@acme.example")
        );
        assert_eq!(t["evidence"]["confirmation_number"], "AV-123");
    }
);

storage_test!(
    /// Auditors and managers see no buttons they may not use, and a crafted POST gets 403;
    /// another practice's task is 404, however its URL was learned.
    async fn roles_and_practices_are_kept_apart(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let task = leaver_task(&p).await;
        another_admin(&p, "audrey@acme.example", "auditor").await;
        another_admin(&p, "max@acme.example", "manager").await;
        let other = p.app.practice("beta").await;
        p.app
            .admin_token(&other, "bo@beta.example", "portal_admin")
            .await;

        let audrey = Session::sign_in(&p.app, "acme", "audrey@acme.example").await;
        let (status, page) = audrey.get(&format!("/console/tasks/{task}")).await;
        assert_eq!(status, 200);
        for button in [">Claim<", ">Mark done<", ">Reassign<", ">Cancel task<"] {
            assert!(!page.contains(button), "an auditor sees no {button}");
        }
        let (status, _) = audrey
            .post(&format!("/console/tasks/{task}/claim"), &[])
            .await;
        assert_eq!(status, 403);

        let max = Session::sign_in(&p.app, "acme", "max@acme.example").await;
        let (_, page) = max.get(&format!("/console/tasks/{task}")).await;
        assert!(
            page.contains(">Reassign<") && !page.contains(">Mark done<"),
            "{page}"
        );
        assert_eq!(
            max.post(&format!("/console/tasks/{task}/claim"), &[])
                .await
                .0,
            403
        );
        let (status, _) = max
            .post(
                &format!("/console/tasks/{task}/reassign"),
                &[
                    ("assignee", "vic@acme.example"),
                    ("comment", "Vic knows Availity"),
                ],
            )
            .await;
        assert_eq!(status, 303);

        let bo = Session::sign_in(&p.app, "beta", "bo@beta.example").await;
        let (status, page) = bo.get(&format!("/console/tasks/{task}")).await;
        assert_eq!(status, 404, "{page}");
        assert!(page.contains("<html"), "an HTML page: {page}");
        assert_eq!(
            bo.post(&format!("/console/tasks/{task}/claim"), &[])
                .await
                .0,
            404
        );
        let (_, t) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(t["assignee"], "vic@acme.example");
    }
);

storage_test!(
    /// A session ends after `console.session_idle_timeout` without a request, at its absolute
    /// limit, on "Sign out" (on the server: the old cookie no longer works) and at once when
    /// its administrator is deactivated.
    async fn sessions_end_when_they_should(backend: Backend) {
        let app = spawn_app_with(&backend, |s| {
            s.console.session_idle_timeout = std::time::Duration::from_secs(15 * 60);
            s.console.session_max_age = std::time::Duration::from_secs(3600);
        })
        .await;
        let p = Practice::new(app, "acme").await;
        let clock = &p.app.clock;

        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        clock.advance(Duration::minutes(14));
        assert_eq!(
            me.get("/console").await.0,
            200,
            "active within the idle time"
        );
        clock.advance(Duration::minutes(16));
        let (status, to) = me.get("/console/queue").await;
        assert_eq!((status, to.as_str()), (303, "/console/sign-in?why=idle"));
        let (_, said) = me.get("/console/sign-in?why=idle").await;
        assert!(
            said.contains("signed out after a time without activity"),
            "{said}"
        );

        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        for _ in 0..5 {
            clock.advance(Duration::minutes(10));
            assert_eq!(me.get("/console").await.0, 200);
        }
        clock.advance(Duration::minutes(11));
        assert_eq!(me.get("/console").await.1, "/console/sign-in?why=expired");

        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        let (status, to) = me.post("/console/sign-out", &[]).await;
        assert_eq!(
            (status, to.as_str()),
            (303, "/console/sign-in?why=signed-out")
        );
        assert_eq!(me.get("/console").await.0, 303, "the old cookie is dead");

        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        p.app
            .store
            .deactivate_admin("pat@acme.example", clock.now_utc())
            .await
            .unwrap();
        assert_eq!(me.get("/console").await.0, 303);

        // Read by Vic: Pat's own token ends with her (at once, or within the credential
        // cache's second, depending on how long the steps above took).
        let (status, audit) = crate::admins::call(
            &p,
            &p.verifier,
            reqwest::Method::GET,
            "/api/v1/audit?action=console.signed_out",
            None,
        )
        .await;
        assert_eq!(status, 200, "{audit}");
        let why: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["detail"]["why"].as_str().unwrap())
            .collect();
        assert_eq!(why, ["idle", "expired", "signed out"]);
    }
);

/// Behind HTTPS the cookie is `__Host-` prefixed and `Secure`.
#[tokio::test]
async fn behind_https_the_cookie_is_host_bound_and_secure() {
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.public_url = Some("https://portcullis.acme.example".into());
    })
    .await;
    let practice = app.practice("acme").await;
    app.admin_token(&practice, "pat@acme.example", "portal_admin")
        .await;
    let secret = sign_in_link(&app, "acme", "pat@acme.example", Duration::minutes(15)).await;
    let used = browser()
        .post(app.url(&format!("/console/sign-in/{secret}")))
        .header(ORIGIN, "https://portcullis.acme.example")
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 303);
    let cookie = used.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-portcullis_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
}

storage_test!(
    /// Reports: the leaver with their removal's SLA, the removal figures, and both CSVs with
    /// the API's columns; the audit page's filters, "Verify chain" with the head, and an
    /// auditor's export that ends with its signed checkpoint (a POST, CSRF-checked).
    async fn reports_and_the_audit_trail_for_auditors(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let task = leaver_task(&p).await;
        another_admin(&p, "audrey@acme.example", "auditor").await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        pat.post(&format!("/console/tasks/{task}/claim"), &[]).await;
        p.app.clock.advance(Duration::minutes(10));
        let (status, to) = pat
            .post(
                &format!("/console/tasks/{task}/done"),
                &[("note", "removed")],
            )
            .await;
        assert_eq!(
            (status, to.starts_with("/console/tasks/")),
            (303, true),
            "{to}"
        );

        let audrey = Session::sign_in(&p.app, "acme", "audrey@acme.example").await;
        let (status, page) = audrey.get("/console/reports").await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("Front Desk jo@acme.example") && page.contains(">met<"),
            "{page}"
        );
        assert!(page.contains("10 min"), "the median time to remove: {page}");
        let (status, csv) = audrey.get("/console/reports/leavers.csv").await;
        assert_eq!(status, 200);
        assert!(
            csv.starts_with("person_id,person,event_at,portal,task_id"),
            "{csv}"
        );
        assert!(csv.contains(&task) && csv.contains(",met,"), "{csv}");
        let (_, access) = audrey.get("/console/reports/access.csv").await;
        assert!(access.starts_with("person_id,person,portal,username,roles,updated_at"));

        let (_, trail) = audrey.get("/console/audit?actor=pat%40acme.example").await;
        assert!(
            trail.contains("task.claim") && trail.contains("task.complete"),
            "{trail}"
        );
        assert!(!trail.contains("scim.user"), "filtered by actor: {trail}");
        let (_, verified) = audrey.get("/console/audit?verify=1").await;
        assert!(verified.contains("The chain is intact"), "{verified}");

        let (status, _) = audrey
            .post_raw(
                "/console/audit/export",
                &[("format", "csv")],
                Some(&audrey.base),
            )
            .await;
        assert_eq!(status, 403, "no CSRF token, no export");
        let (status, export) = audrey
            .post("/console/audit/export", &[("format", "csv")])
            .await;
        assert_eq!(status, 200, "{export}");
        assert!(export.starts_with("seq,at,actor,action,target"), "{export}");
        let last = export.trim_end().lines().last().unwrap();
        assert!(last.contains("audit.checkpoint"), "{last}");
        let (_, jsonl) = audrey
            .post("/console/audit/export", &[("format", "jsonl")])
            .await;
        assert!(
            jsonl
                .lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        );
    }
);

storage_test!(
    /// People: search by e-mail; a leaver's page shows what is recorded against what policy
    /// grants (nothing now), their open removal and the leaver event behind it.
    async fn a_persons_page_shows_access_tasks_and_events(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let task = leaver_task(&p).await;
        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        let (_, found) = me.get("/console/people?q=JO%40ACME").await;
        assert!(
            found.contains("Front Desk jo@acme.example") && found.contains("left"),
            "{found}"
        );
        let (_, none) = me.get("/console/people?q=nobody-here").await;
        assert!(none.contains("Nobody matches"), "{none}");
        let at = found.find("/console/people/").unwrap();
        let link = &found[at..at + "/console/people/".len() + 36];
        let (status, page) = me.get(link).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("Availity Essentials") && page.contains("eligibility-benefits"),
            "{page}"
        );
        assert!(
            page.contains(&format!("/console/tasks/{task}")),
            "the open removal: {page}"
        );
        assert!(page.contains("leaver"), "the event: {page}");
        let (status, _) = me
            .get(&format!("/console/people/{}", uuid::Uuid::new_v4()))
            .await;
        assert_eq!(status, 404);
    }
);

storage_test!(
    /// Portals: the carrier directory with each portal's direct link, the organization's TIN,
    /// and its open work linking to the work-by-portal queue.
    async fn the_portals_page_is_the_carrier_directory(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        leaver_task(&p).await;
        let me = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        let (status, page) = me.get("/console/portals").await;
        assert_eq!(status, 200, "{page}");
        for said in [
            "Availity Essentials",
            "https://apps.availity.com",
            "Noridian Medicare Portal",
            "TIN 123456789",
            "/console/queue?view=all&amp;portal=availity-essentials",
        ] {
            assert!(page.contains(said), "{said}: {page}");
        }
        let (_, work) = me
            .get("/console/queue?view=all&portal=availity-essentials")
            .await;
        assert!(
            work.contains("Work in Availity Essentials")
                && work.contains("Open Availity Essentials"),
            "{work}"
        );
    }
);
